/**
 * The differential test of issue 7: random clusters (namespace labels, pod labels, policies using
 * every feature, and cluster policy tiers — ClusterNetworkPolicy, AdminNetworkPolicy and the
 * BaselineAdminNetworkPolicy, issue 18 — property-based with fast-check) applied to one running lab; every real probe
 * (`podnet matrix`, TCP 80 and UDP 53, all pairs) must equal the analyzer's verdict. The lab has
 * 10 pods on 2 nodes: x, y, z × a, b, c with different named ports, and a hostNetwork pod.
 * It runs once per enforceable semantics profile (upstream, cilium), each in a lab started with it.
 * PODNET_DIFF_RUNS=N runs more cases (default 8); a failure prints the case's manifests.
 * Needs root, `ip` and `nft`.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsArb, policyArb, POD_KEYS, POD_VALUES } from '../unit/policy-arbitraries.js';
import { addressPeerArb, clusterPolicyArb, clusterPolicyObjects, type GenClusterPolicy } from '../unit/tier-arbitraries.js';
import { CAN_RUN_LAB, TestLab } from './helpers.js';
import { matrix, mismatches, NAMESPACES, policy, removeManifests, writeManifest, type Obj } from './policy-lab.js';

const T = 600_000;
const RUNS = Number(process.env.PODNET_DIFF_RUNS ?? 8);
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;

/** Named ports differ per pod so that named-port rules resolve differently per destination. */
const PORTS: Record<string, Obj[]> = {
  a: [{ name: 'http', containerPort: 80 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }],
  b: [{ name: 'http', containerPort: 8080 }, { containerPort: 80 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }],
  c: [{ containerPort: 80 }, { name: 'http', containerPort: 53, protocol: 'UDP' }],
};

interface Case {
  nsLabels: Record<string, string>[];
  podLabels: Record<string, string>[];
  policies: { ns: number; spec: Obj }[];
  tiers: GenClusterPolicy[];
}

function podObjects(labels: readonly Record<string, string>[]): Obj[] {
  const pods = NAMESPACES.flatMap((ns) => ['a', 'b', 'c'].map((name) => ({ ns, name })));
  const out: Obj[] = pods.map(({ ns, name }, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: labels[i] },
    spec: { nodeName: i % 2 === 0 ? 'node-1' : 'node-2', containers: [{ name: 'c', image: 'x', ports: PORTS[name] }] },
  }));
  out.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'host', namespace: 'x', labels: labels[pods.length] },
    spec: { nodeName: 'node-1', hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 80 }] }] },
  });
  return out;
}

function caseObjects(c: Case): { all: Obj[]; policies: Obj[] } {
  const namespaces = NAMESPACES.map((ns, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: c.nsLabels[i] } }));
  const policies = [...c.policies.map((p, i) => policy(NAMESPACES[p.ns % NAMESPACES.length], `np${i}`, p.spec)), ...clusterPolicyObjects(c.tiers)];
  return { all: [...namespaces, ...podObjects(c.podLabels), ...policies], policies };
}

// The file's manifests (written while the suites are collected) go once every suite is done.
afterAll(() => removeManifests());

// Once per profile a data plane enforces (src/policy/semantics.ts): the lab is started with it,
// and `podnet matrix` expects in the lab's profile.
describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT).each(['upstream', 'cilium'] as const)('differential (%s semantics): real probes equal the analyzer on random clusters', (semantics) => {
  const lab = new TestLab('nd');
  let nodeIPs: string[] = [];
  let nodeNames: string[] = [];
  let podIPs: string[] = [];

  beforeAll(async () => {
    const start: Case = { nsLabels: [{}, {}, {}], podLabels: Array.from({ length: 10 }, () => ({})), policies: [], tiers: [] };
    await lab.up(['--semantics', semantics, '-f', writeManifest(caseObjects(start).all)]);
    const nodes = await lab.nodes();
    nodeIPs = nodes.map((n) => n.ip);
    nodeNames = nodes.map((n) => n.name);
    podIPs = (await lab.pods()).filter((p) => !p.hostNetwork).map((p) => p.ip);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it(`${RUNS} random cases, TCP 80 and UDP 53`, async () => {
    // ipBlocks around this lab's own node addresses (hostNetwork pods are their node's address).
    const [n1, n2] = nodeIPs;
    const ipBlock = fc.constantFrom<Obj>(
      { cidr: '0.0.0.0/0' },
      { cidr: '0.0.0.0/0', except: [`${n1}/32`] },
      { cidr: `${n2}/32` },
      { cidr: `${n1}/31` },
      { cidr: '10.244.0.0/16' },
      { cidr: '10.0.0.0/8', except: ['10.244.1.0/24'] },
      // single pods: matched on upstream, not on cilium
      { cidr: `${podIPs[0]}/32` },
      { cidr: '10.244.0.0/16', except: [`${podIPs[1]}/32`] },
    );
    const caseArb: fc.Arbitrary<Case> = fc.record({
      nsLabels: fc.array(labelsArb(['team', 'env'], ['x', 'y']), { minLength: 3, maxLength: 3 }),
      podLabels: fc.array(labelsArb(POD_KEYS, POD_VALUES), { minLength: 10, maxLength: 10 }),
      policies: fc.array(policyArb(ipBlock), { minLength: 1, maxLength: 6 }),
      // Cluster policies with address peers around this lab's nodes and pods.
      tiers: fc.array(clusterPolicyArb(addressPeerArb([['0.0.0.0/0'], [`${n1}/32`], ['10.244.0.0/16'], [`${podIPs[0]}/32`, `${n2}/32`]], nodeNames)), { maxLength: 3 }),
    });
    let previous: Obj[] = [];
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { all, policies } = caseObjects(c);
        const id = (o: Obj) => `${String(o.kind)}/${JSON.stringify(o.metadata)}`;
        const gone = previous.filter((p) => !policies.some((q) => id(q) === id(p)));
        if (gone.length > 0) await lab.ok('delete', ['-f', writeManifest(gone, 'gone.yaml')]);
        const file = writeManifest(all, 'case.yaml');
        await lab.ok('apply', ['-f', file]);
        previous = policies;
        // A UDP exchange an earlier case allowed stays in the nodes' conntrack for 30 s, and the policy
        // table accepts established flows first (as every enforcing CNI does); a probe whose random
        // source port happens to repeat one would ride it. Each case starts from fresh flows.
        for (const n of nodeNames) spawnSync('ip', ['netns', 'exec', lab.nodeNetns(n), 'conntrack', '-D', '-p', 'udp'], { stdio: 'ignore' });
        for (const [port, protocol] of [[80, 'TCP'], [53, 'UDP']] as const) {
          const bad = mismatches((await matrix(lab, port, protocol)).m);
          if (bad.length > 0) throw new Error(`${protocol}/${port}: ${bad.length} probes differ from the analyzer (case: ${file}):\n${bad.join('\n')}`);
        }
      }),
      { numRuns: RUNS, endOnFailure: true, seed: process.env.PODNET_DIFF_SEED ? Number(process.env.PODNET_DIFF_SEED) : undefined },
    );
  }, T);
});
