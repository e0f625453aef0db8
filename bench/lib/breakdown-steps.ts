/**
 * The topologies of `datapath --breakdown`: one cross-node pod → pod path built step by step, each
 * step in its own namespaces (so all of them are measured in the same rounds), each adding one
 * thing to the previous one, with podnet's own renderers wherever podnet builds that part:
 *   bare routed    pod–node–node–pod, veths and static routes only (bench/lib/plain.ts)
 *   + macvlan      podnet's routed lab network: routed pod veths (ptp), macvlan uplinks on one
 *                  underlay lower device (renderLabNetwork + renderPodsAdd), no nftables
 *   + services     table `ip podnet` (renderServicesFull, no Services): nat prerouting/output/
 *                  postrouting and filter hooks, and with them conntrack on every packet
 *   + policy (0)   table `ip podnet-policy` (renderPolicyFull, no policies): the forward hook, the
 *                  established fast path, the trace limit, the two verdict-map lookups
 *   + policy (1k)  the same table with 1,000 more isolated pods (compilePolicies of one
 *                  namespace-wide policy): verdict maps of ~500 entries per node, a chain and an
 *                  interval set per pod and direction; client and server are isolated too
 *   + flows        `nft monitor trace` running in every node namespace, as the lab monitor does
 *   vxlan          the whole stack over VXLAN instead of routed (checksum offload per the kernel rule)
 */
import { spawn } from 'node:child_process';
import { release } from 'node:os';
import { readCluster } from '../../src/api/cluster.js';
import type { RawObject } from '../../src/api/load.js';
import { decideVxlanChecksumOffload } from '../../src/model/kernel.js';
import { compilePolicies, type PodPolicy } from '../../src/policy/compile.js';
import { renderPolicyFull } from '../../src/render/nft/policy.js';
import { renderServicesFull } from '../../src/proxy/nft/full.js';
import { host, labConfig, upLab, type BenchLab } from './lab.js';
import { plainCrossNode, plainVeth } from './plain.js';
import { inNs, type Resources } from './sys.js';

export interface Step {
  name: string;
  from: string;
  to: string;
  toIp: string;
}

/** Isolated pods besides the client and the server in the "policy (1k)" step. */
export const ISOLATED_PODS = 1000;

async function nft(netns: string, script: string): Promise<void> {
  const r = await host.exec(netns, ['nft', '-f', '-'], script);
  if (r.code !== 0) throw new Error(`nft in ${netns}: ${r.stderr.trim()}`);
}

type Tables = { services: boolean; policy: 'none' | 'empty' | 'isolated'; flows: boolean };

async function lab(res: Resources, name: string, mode: 'routed' | 'vxlan', t: Tables): Promise<Step> {
  const config = { ...labConfig(name, mode, 2), ...(mode === 'vxlan' ? { vxlanChecksumOffload: decideVxlanChecksumOffload('auto', release()).offload } : {}) };
  const l = await upLab(res, config, [
    { name: 'client', node: 'node-1' },
    { name: 'server', node: 'node-2' },
  ]);
  const compiled = t.policy === 'isolated' ? isolatedPolicies(l) : [];
  for (const node of l.nodes) {
    if (t.services) await nft(node.netns, renderServicesFull({ services: [] }, { name: node.name, ip: node.ip }, { tableName: 'podnet', podCidr: config.podCidr }).toString());
    if (t.policy !== 'none') await nft(node.netns, renderPolicyFull(compiled, node.name).toString());
    if (t.flows) {
      // What the lab monitor runs per node (src/flows/collector.ts); its output is read and dropped.
      const argv = inNs(node.netns, ['nft', 'monitor', 'trace']);
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
      res.addChild(child);
      child.stdout!.on('data', () => undefined);
    }
  }
  const pod = (n: string) => l.pods.get(n)!;
  return { name: '', from: pod('client').netns!, to: pod('server').netns!, toIp: pod('server').ip };
}

/**
 * One policy selecting every pod of the namespace for ingress and egress: ingress from the client
 * on anything, from any pod of the namespace on TCP 8080 and UDP 53; egress to any pod of it. The
 * 1,000 other pods have addresses (never routed) spread over both nodes.
 */
function isolatedPolicies(l: BenchLab): PodPolicy[] {
  const pods: { name: string; node: string; ip: string; labels: Record<string, string> }[] = [
    { name: 'client', node: 'node-1', ip: l.pods.get('client')!.ip, labels: { role: 'client' } },
    { name: 'server', node: 'node-2', ip: l.pods.get('server')!.ip, labels: { role: 'server' } },
  ];
  for (let i = 0; i < ISOLATED_PODS; i++) pods.push({ name: `other-${i}`, node: `node-${1 + (i % 2)}`, ip: `10.244.${16 + (i >> 8)}.${i & 255}`, labels: { role: 'other' } });
  const objs: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
    ...pods.map((p) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: 'bench', labels: p.labels }, spec: { nodeName: p.node, containers: [{ name: 'c' }] }, status: { podIP: p.ip } })),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'isolate-all', namespace: 'bench' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }, { from: [{ podSelector: {} }], ports: [{ port: 8080 }, { port: 53, protocol: 'UDP' }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    },
  ];
  const raws: RawObject[] = objs.map((obj, doc) => ({ obj, source: { file: 'bench', doc }, prefix: '' }));
  const cluster = readCluster(raws, { podCidr: l.config.podCidr });
  const byName = new Map(pods.map((p) => [p.name, p]));
  const compiled = compilePolicies({ ...cluster, pods: cluster.pods.map((p) => ({ ...p, ip: byName.get(p.name)!.ip, nodeName: byName.get(p.name)!.node })) });
  const isolated = compiled.filter((p) => p.ingress !== null && p.egress !== null).length;
  if (isolated !== ISOLATED_PODS + 2) throw new Error(`policy step: ${isolated} pods isolated, expected ${ISOLATED_PODS + 2}`);
  return compiled;
}

/** Builds every step (veth pair first: the reference). */
export async function buildSteps(res: Resources, tag: string): Promise<Step[]> {
  const p = `pnb${tag}`;
  const none: Tables = { services: false, policy: 'none', flows: false };
  const full: Tables = { services: true, policy: 'isolated', flows: true };
  const offload = decideVxlanChecksumOffload('auto', release()).offload;
  return [
    { ...(await plainVeth(res, p)), name: 'veth pair (reference)' },
    { ...(await plainCrossNode(res, p, false)), name: 'bare routed (veths, static routes)' },
    { ...(await lab(res, `${p}-m`, 'routed', none)), name: '+ macvlan underlay (podnet routed)' },
    { ...(await lab(res, `${p}-s`, 'routed', { ...none, services: true })), name: '+ services table (nat, conntrack)' },
    { ...(await lab(res, `${p}-0`, 'routed', { ...none, services: true, policy: 'empty' })), name: '+ policy table, 0 isolated pods' },
    { ...(await lab(res, `${p}-k`, 'routed', { ...none, services: true, policy: 'isolated' })), name: `+ policy table, ${ISOLATED_PODS.toLocaleString('en')} isolated pods` },
    { ...(await lab(res, `${p}-f`, 'routed', full)), name: '+ flows tracing (nft monitor trace)' },
    { ...(await lab(res, `${p}-x`, 'vxlan', full)), name: `vxlan instead of routed (offload ${offload ? 'on' : 'off'})` },
  ];
}
