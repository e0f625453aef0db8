/**
 * Cluster policy tiers with `nodes` peers, enforced by a lab's data plane with real probes: the
 * two node-peer conformance cases of test/unit/tiers-conformance-more.ts (CNPAdminTierEgressNodePeers,
 * CNPBaselineTierEgressNodePeers; the unit test runs them in the analyzer). One lab of the houses
 * cluster plus the fixtures' two Nodes (kubernetes.io/os: linux) and their host-networked centaur
 * pods, which the built-in server answers on their containerPorts at the node's address. Each
 * case's steps are applied in turn; every TCP and UDP probe of a step must give the case's
 * verdict, through `podnet matrix`, which also requires every real probe between the 10 pods to
 * equal the analyzer's verdict. SCTP probes are left out (no SCTP sockets on this kernel).
 * Needs root, `ip` and `nft`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docs, key, toV1alpha1, type Obj } from '../unit/tiers-conformance-cases.js';
import { clusterDocs, MORE_CASES } from '../unit/tiers-conformance-more.js';
import { CAN_RUN_LAB, TestLab } from './helpers.js';
import { expectStepInLab, removeManifests, writeManifest } from './policy-lab.js';

const T = 300_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;
const NODE_PEER_TESTS = ['CNPAdminTierEgressNodePeers', 'CNPBaselineTierEgressNodePeers'];
const NODE_PEER_CASES = MORE_CASES.filter((c) => NODE_PEER_TESTS.some((t) => c.title.includes(`: ${t})`)));
const POLICY_KINDS = new Set(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'NetworkPolicy']);
const isPolicy = (o: Obj) => POLICY_KINDS.has(o.kind);
const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The lab's objects for a case file: houses.yaml with the case's Nodes, namespace and centaur pods
 * (clusterDocs, as the unit test loads them), no policies. The lab names its nodes after the Node
 * manifests and keeps their labels (their status addresses are the lab's own). The gryffindor pods
 * are pinned to node-a: the unit loader places no houses pod on a node, so no probe of the cases
 * is between a pod and its own node (always allowed); in the lab, centaur-1's node-b must not hold
 * them either.
 */
function labObjects(file: string): Obj[] {
  const objs = clusterDocs(docs(file)).filter((o) => !isPolicy(o));
  const harry = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'harry-potter')!;
  harry.spec.template.spec.nodeName = 'node-a';
  return objs;
}

afterAll(() => removeManifests());

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('cluster policy tiers in a lab: the node-peer conformance cases with real probes', () => {
  const lab = new TestLab('nq');
  let applied: Obj[] = [];

  beforeAll(async () => {
    await lab.up(['-f', writeManifest(labObjects(NODE_PEER_CASES[0].file), 'cluster.yaml')]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  /** Makes the lab's policies exactly `objects`: the others deleted, these applied. */
  async function setPolicies(objects: Obj[]): Promise<void> {
    const gone = applied.filter((o) => !objects.some((n) => id(n) === id(o)));
    if (gone.length > 0) await lab.ok('delete', ['-f', writeManifest(gone, 'gone.yaml')]);
    if (objects.length > 0) await lab.ok('apply', ['-f', writeManifest(objects, 'policies.yaml')]);
    applied = objects;
    // A UDP exchange an earlier step allowed stays in conntrack, and established flows are accepted first.
    for (const n of ['node-a', 'node-b']) spawnSync('ip', ['netns', 'exec', lab.nodeNetns(n), 'conntrack', '-D', '-p', 'udp'], { stdio: 'ignore' });
  }

  it('runs both node-peer cases, whose files describe one cluster', () => {
    expect(NODE_PEER_CASES.map((c) => c.file)).toEqual(['conformance/admin-node-peers.yaml', 'conformance/baseline-node-peers.yaml']);
    expect(labObjects(NODE_PEER_CASES[1].file)).toEqual(labObjects(NODE_PEER_CASES[0].file));
  });

  it('the lab is the fixtures\' cluster: Nodes labelled linux, a host-networked centaur on each at its node\'s address', async () => {
    const nodes = await lab.nodes();
    expect(nodes.map((n) => [n.name, n.labels['kubernetes.io/os']])).toEqual([['node-a', 'linux'], ['node-b', 'linux']]);
    const pods = await lab.pods();
    expect(pods.every((p) => p.phase === 'Running'), JSON.stringify(pods.map((p) => [p.key, p.phase]))).toBe(true);
    const centaurs = pods.filter((p) => p.name.startsWith('centaur-')).map((p) => [p.key, p.hostNetwork, p.node, p.ip]);
    const ip = (n: string) => nodes.find((x) => x.name === n)!.ip;
    expect(centaurs).toEqual([
      [key('forbidden-forrest/centaur-0'), true, 'node-a', ip('node-a')],
      [key('forbidden-forrest/centaur-1'), true, 'node-b', ip('node-b')],
    ]);
    expect(pods.filter((p) => p.namespace === key('gryffindor')).map((p) => p.node)).toEqual(['node-a', 'node-a']);
  }, T);

  // Both forms, as the unit test runs them: v1alpha2 ClusterNetworkPolicy, and v1alpha1 (an
  // AdminNetworkPolicy, or the BaselineAdminNetworkPolicy "default").
  for (const c of NODE_PEER_CASES) {
    for (const version of c.versions ?? (['v1alpha2', 'v1alpha1'] as const)) {
      it(`${c.title} (${version})`, async () => {
        const objs = docs(c.file);
        for (const step of c.steps) {
          step.change?.(objs);
          const policies = objs.filter(isPolicy);
          await setPolicies(version === 'v1alpha1' ? policies.map(toV1alpha1) : structuredClone(policies));
          expect(step.probes.filter(([, , protocol]) => protocol !== 'SCTP').length, `${step.name}: a TCP or UDP probe`).toBeGreaterThan(0);
          await expectStepInLab(lab, step, key);
        }
      }, T);
    }
  }
});
