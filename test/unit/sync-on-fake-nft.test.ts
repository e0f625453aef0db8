// The lab's kube-proxy and NetworkPolicy syncs behind the Nft interface, on the in-memory FakeNft
// (the Ruleset with the kernel's rules): a full sync followed by deltas must leave each node's
// table behaving, packet for packet, as a fresh full render of the final service table does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { FakeHost } from '../../src/host/host.js';
import { FakeNft } from '../../src/host/nft.js';
import { syncPolicies } from '../../src/lab/policy.js';
import { syncInto as syncServices } from '../support/proxy-sync.js';
import type { LabState } from '../../src/lab/state.js';
import { placePods, planNodes, type LabConfig } from '../../src/model/lab.js';
import type { ServiceTable } from '../../src/model/service-table.js';
import { traceRuleset, traceServices, type TracePacket } from '../../src/proxy/trace.js';
import { PROXY_TABLE } from '../../src/render/nft/names.js';
import { NftError } from '../../src/render/nft/txn.js';
import { POLICY_TABLE } from '../../src/render/nft/policy.js';
import { SEMANTICS } from '../../src/policy/semantics.js';

const config: LabConfig = { name: 'fk', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.19.0/24', lbCidr: '100.64.20.0/24' };

let stateRoot = '';
const savedRoot = process.env.PODNET_STATE_ROOT;
beforeAll(() => {
  stateRoot = mkdtempSync(join(tmpdir(), 'podnet-fake-nft-test-'));
  process.env.PODNET_STATE_ROOT = stateRoot; // syncServices saves the lab state: never into /run/podnet
});
afterAll(() => {
  if (savedRoot === undefined) delete process.env.PODNET_STATE_ROOT;
  else process.env.PODNET_STATE_ROOT = savedRoot;
  rmSync(stateRoot, { recursive: true, force: true });
});

const deployment = (name: string, replicas: number, port: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, ports: [{containerPort: ${port}}]}]}
---
`;
const service = (name: string, app: string, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${app}}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]
${extra}---
`;
const denyAll = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
---
`;

function lab(yaml: string, state?: LabState) {
  const objects = parseManifestText(yaml, 'x.yaml', []);
  const nodes = planNodes(config, []);
  const base = readCluster(objects);
  const previous = new Map((state?.placements ?? []).map((p) => [p.key, p]));
  const placed = placePods(config.name, base.pods, nodes, previous).placed;
  const at = new Map(placed.map((p) => [p.key, p]));
  const cluster = { ...base, pods: base.pods.map((p) => ({ ...p, ip: at.get(`${p.namespace}/${p.name}`)!.ip, nodeName: at.get(`${p.namespace}/${p.name}`)!.node })) };
  const s: LabState = state ?? { version: 1, config, phase: 'ready', createdAt: '', nodes, placements: placed, objects };
  return { state: { ...s, objects, placements: placed }, cluster };
}

/** First packets to every service port: from a pod, from a node process, from outside to node ports. */
function packets(table: ServiceTable, nodeIP: string): TracePacket[] {
  return table.services.flatMap((svc) =>
    svc.ports.flatMap((p) => [
      ...(svc.clusterIP ? [{ src: '10.244.0.2', dst: svc.clusterIP, protocol: p.protocol, dport: p.port, from: 'pod' as const }, { src: nodeIP, dst: svc.clusterIP, protocol: p.protocol, dport: p.port, from: 'node' as const }] : []),
      ...(p.nodePort ? [{ src: '192.0.2.7', dst: nodeIP, protocol: p.protocol, dport: p.nodePort, from: 'external' as const }] : []),
    ]),
  );
}

const ready = () => 'ready' as const;

describe('syncServices on FakeNft', () => {
  it('full sync, then deltas (a Service added, endpoints scaled, a Service removed): each node traces as a fresh full render', async () => {
    const nft = new FakeNft();
    const host = new FakeHost();
    const steps = [
      deployment('web', 2, 8080) + service('a', 'web'),
      deployment('web', 2, 8080) + deployment('api', 1, 8080) + service('a', 'web') + service('b', 'api', '  type: NodePort\n'),
      deployment('web', 3, 8080) + deployment('api', 2, 8080) + service('a', 'web') + service('b', 'api', '  type: NodePort\n'),
      deployment('web', 1, 8080) + deployment('api', 2, 8080) + service('b', 'api', '  type: NodePort\n'),
    ];
    let state: LabState | undefined;
    let fulls = 0;
    for (const yaml of steps) {
      const l = lab(yaml, state);
      const r = await syncServices(host, l.state, l.cluster, ready, nft);
      fulls += r.full.length;
      state = l.state;
      const table = state.proxyTable!;
      for (const node of state.nodes) {
        const ref = { name: node.name, ip: node.ip, localIPs: [node.gateway] };
        const applied = nft.model(node.netns);
        const want = packets(table, node.ip);
        expect(want.length).toBeGreaterThan(0);
        for (const pkt of want) {
          const got = traceRuleset(applied, PROXY_TABLE, ref, pkt);
          const fresh = traceServices(table, ref, { tableName: PROXY_TABLE, podCidr: config.podCidr }, pkt);
          expect({ pkt, text: got.text, destinations: got.destinations }).toEqual({ pkt, text: fresh.text, destinations: fresh.destinations });
        }
      }
    }
    expect(fulls).toBe(2); // the first sync only, one per node: every later step went as a delta
    // The final table serves b on its node port through one of api's two pods.
    const b = state!.proxyTable!.services.find((s) => s.key === 'default/b')!;
    const node = state!.nodes[0]!;
    const t = traceRuleset(nft.model(node.netns), PROXY_TABLE, { name: node.name, ip: node.ip }, { src: '192.0.2.7', dst: node.ip, protocol: 'TCP', dport: b.ports[0]!.nodePort!, from: 'external' });
    expect(t.verdict).toBe('DNAT');
    expect(t.destinations).toHaveLength(2);
  });

  it('a delta the fake refuses is followed by a full sync, as with the kernel', async () => {
    const nft = new FakeNft();
    const host = new FakeHost();
    const first = lab(deployment('web', 1, 8080) + service('a', 'web'));
    await syncServices(host, first.state, first.cluster, ready, nft);
    // Behind podnet's back: the service-ips map is gone, so a delta adding to it cannot apply.
    for (const node of first.state.nodes) nft.model(node.netns).table('ip', PROXY_TABLE)!.sets.delete('service-ips');
    const second = lab(deployment('web', 1, 8080) + service('a', 'web') + service('b', 'web'), first.state);
    const r = await syncServices(host, second.state, second.cluster, ready, nft);
    expect(r.full.sort()).toEqual(['node-1', 'node-2']);
    const svc = second.state.proxyTable!.services.find((s) => s.key === 'default/b')!;
    const node = second.state.nodes[0]!;
    const t = traceRuleset(nft.model(node.netns), PROXY_TABLE, { name: node.name, ip: node.ip }, { src: '10.244.0.2', dst: svc.clusterIP!, protocol: 'TCP', dport: 80, from: 'pod' });
    expect(t.verdict).toBe('DNAT');
  });
});

describe('syncPolicies on FakeNft', () => {
  it('writes one atomic table per node; a refused transaction names the node', async () => {
    const nft = new FakeNft();
    const l = lab(deployment('web', 2, 8080) + denyAll);
    const report = await syncPolicies(nft, l.state.nodes, l.cluster, SEMANTICS.upstream);
    expect(report.isolatedPods).toBe(2);
    for (const node of l.state.nodes) {
      const listing = await nft.list(node.netns, 'ip', POLICY_TABLE);
      expect(listing?.chains).toHaveProperty('forward');
      // The node's own isolated pods have their sets; the other node's pods do not.
      const mine = l.cluster.pods.filter((p) => p.nodeName === node.name);
      for (const p of mine) expect(Object.keys(listing!.sets).some((n) => n.includes(p.ip!))).toBe(true);
    }
    const refusing = new FakeNft();
    refusing.run = async () => {
      throw new NftError('Error: Could not process rule: No such file or directory');
    };
    await expect(syncPolicies(refusing, l.state.nodes, l.cluster, SEMANTICS.upstream)).rejects.toThrow(/^nft on node-\d: the NetworkPolicy ruleset was refused: Error: Could not process rule/);
  });
});
