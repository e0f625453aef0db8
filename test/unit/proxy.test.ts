// The lab's proxy sync: full first, deltas after, and a full resync after any failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { FakeHost, type ExecResult } from '../../src/host/host.js';
import { syncInto as syncServices } from '../support/proxy-sync.js';
import type { LabState } from '../../src/lab/state.js';
import { placePods, planNodes, type LabConfig } from '../../src/model/lab.js';

const config: LabConfig = { name: 'px', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.9.0/24', lbCidr: '100.64.10.0/24' };

// Nothing here should save a lab state; if anything did, it would land in a temporary state root, never the machine's /run/podnet.
let stateRoot = '';
const savedRoot = process.env.PODNET_STATE_ROOT;
beforeAll(() => {
  stateRoot = mkdtempSync(join(tmpdir(), 'podnet-proxy-test-'));
  process.env.PODNET_STATE_ROOT = stateRoot;
});
afterAll(() => {
  if (savedRoot === undefined) delete process.env.PODNET_STATE_ROOT;
  else process.env.PODNET_STATE_ROOT = savedRoot;
  rmSync(stateRoot, { recursive: true, force: true });
});

function service(name: string, extra = ''): string {
  return `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n${extra}---\n`;
}

const pods = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
`;

function lab(yaml: string, state?: LabState): { state: LabState; cluster: ReturnType<typeof readCluster> } {
  const objects = parseManifestText(yaml, 'x.yaml', []);
  const nodes = planNodes(config, []);
  const base = readCluster(objects);
  const placed = placePods(config.name, base.pods, nodes).placed;
  const ip = new Map(placed.map((p) => [p.key, p]));
  const cluster = { ...base, pods: base.pods.map((p) => ({ ...p, ip: ip.get(`${p.namespace}/${p.name}`)!.ip, nodeName: ip.get(`${p.namespace}/${p.name}`)!.node })) };
  const s: LabState = state ?? { version: 1, config, phase: 'ready', createdAt: '', nodes, placements: placed, objects };
  return { state: { ...s, objects }, cluster };
}

/** A host whose `nft -f` calls are recorded; `refuse` decides which scripts fail. */
function nftHost(refuse: (script: string) => boolean = () => false): { host: FakeHost; scripts: string[] } {
  const host = new FakeHost();
  const scripts: string[] = [];
  host.exec = async (_ns, argv, input): Promise<ExecResult> => {
    if (argv[0] !== 'nft') return { code: 0, stdout: '', stderr: '' };
    scripts.push(input ?? '');
    return refuse(input ?? '') ? { code: 1, stdout: '', stderr: 'Error: refused' } : { code: 0, stdout: '', stderr: '' };
  };
  return { host, scripts };
}

const ready = () => 'ready' as const;

describe('syncServices', () => {
  it('sends the full ruleset first, then only what changed', async () => {
    const first = lab(pods + service('a'));
    const { host, scripts } = nftHost();
    const r1 = await syncServices(host, first.state, first.cluster, ready);
    expect(r1.full.sort()).toEqual(['node-1', 'node-2']);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toContain('delete table ip podnet');
    expect(first.state.proxyTable?.services.map((s) => s.key)).toEqual(['default/a']);

    const second = lab(pods + service('a') + service('b'), first.state);
    scripts.length = 0;
    const r2 = await syncServices(host, second.state, second.cluster, ready);
    expect(r2.full).toEqual([]);
    expect(scripts[0]).not.toContain('delete table');
    // b's elements only: its ClusterIP, nothing of a's.
    expect(scripts[0]).toContain(`service-ips { ${second.state.serviceAllocations?.['default/b'].clusterIP} . tcp . 80 : goto clusterip-2 }`);
    expect(scripts[0]).not.toContain(first.state.serviceAllocations!['default/a'].clusterIP!);
    // Allocations are kept: a keeps its ClusterIP.
    expect(second.state.serviceAllocations?.['default/a']).toEqual(first.state.serviceAllocations?.['default/a']);
  });

  it('falls back to a full sync when nft refuses a delta', async () => {
    const first = lab(pods + service('a'));
    await syncServices(nftHost().host, first.state, first.cluster, ready);
    const second = lab(pods + service('a') + service('b'), first.state);
    const { host, scripts } = nftHost((s) => !s.includes('delete table'));
    const r = await syncServices(host, second.state, second.cluster, ready);
    expect(r.full.sort()).toEqual(['node-1', 'node-2']);
    expect(scripts.filter((s) => s.includes('delete table'))).toHaveLength(2);
  });

  it('after a failed sync the next one is full', async () => {
    const first = lab(pods + service('a'));
    await expect(syncServices(nftHost(() => true).host, first.state, first.cluster, ready)).rejects.toThrow(/refused/);
    expect(first.state.proxyTable).toBeNull();
    const { host, scripts } = nftHost();
    const r = await syncServices(host, first.state, first.cluster, ready);
    expect(r.full.sort()).toEqual(['node-1', 'node-2']);
    expect(scripts.every((s) => s.includes('delete table'))).toBe(true);
  });

  it('routes the LoadBalancer IP of an externalTrafficPolicy Local Service to a node with an endpoint', async () => {
    const one = pods.replace('replicas: 2', 'replicas: 1');
    const l = lab(one + service('lb', '  type: LoadBalancer\n  externalTrafficPolicy: Local\n'));
    const { host } = nftHost();
    const routes: string[] = [];
    const exec = host.exec;
    host.exec = async (ns, argv, input) => {
      if (argv[0] === 'ip' && argv[1] === 'route') routes.push(argv.join(' '));
      return exec(ns, argv, input);
    };
    await syncServices(host, l.state, l.cluster, ready);
    const lbIP = l.state.serviceAllocations!['default/lb'].loadBalancerIP!;
    const node = l.state.nodes.find((n) => n.name === l.state.placements[0].node)!;
    expect(routes).toEqual([`ip route replace ${lbIP}/32 via ${node.ip} dev pn-px`]);
    expect(l.state.lbRoutes).toEqual({ [lbIP]: node.ip });
  });
});
