/**
 * Cluster policy tiers enforced by a lab's data plane, with real probes: the network-policy-api
 * conformance cases (test/unit/tiers-conformance-cases.ts and -more.ts, see MORE_IN_LAB) are
 * applied step by step to one lab of the houses cluster, and every TCP and UDP probe of each step
 * must give the conformance verdict — through `podnet matrix`, which also requires every real
 * probe between the 8 pods to equal the analyzer's verdict. SCTP probes are left out: the
 * kernel here has no SCTP sockets. Then the same through the lab's Kubernetes API: kubectl
 * applies, lists (the CRDs' columns and short names) and deletes cluster policies, and real
 * probes follow. Needs root, `ip` and `nft` (and kubectl for the last test).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, docs, FIXTURES, HOUSES, key, toV1alpha1, type ConformanceCase, type Obj } from '../unit/tiers-conformance-cases.js';
import { loadCluster } from '../unit/fixtures.js';
import { MORE_CASES } from '../unit/tiers-conformance-more.js';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, REPO, TestLab, until } from './helpers.js';
import { expectStepInLab, removeManifests, writeManifest } from './policy-lab.js';

const T = 600_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;
/**
 * Every restated case runs in a lab too (v1alpha2 only: the unit test runs both forms and requires
 * the v1alpha1 form to compile to this very data plane), with
 * these left to the unit test, each for its reason:
 *  - the SCTP cases: the kernel here has no SCTP sockets (SCTP probes are skipped everywhere);
 *  - the node-peer cases: their cluster has host-networked pods on two nodes of its own, not the
 *    houses lab (tiers-nodes.test.ts runs them in a lab of that cluster).
 * The inline-CIDR cases name pods' addresses as the unit loader assigns them: here each such /32
 * becomes the lab's address of the same pod (labAddresses).
 */
const NOT_IN_LAB = /-sctp-rules|NodePeers/;
const probed = (c: ConformanceCase) => c.steps.some((s) => s.probes.some(([, , protocol]) => protocol !== 'SCTP'));
const MORE_IN_LAB: ConformanceCase[] = MORE_CASES.filter((c) => !NOT_IN_LAB.test(c.title));

const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

afterAll(() => removeManifests());

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('cluster policy tiers in a lab: the conformance cases with real probes', () => {
  const lab = new TestLab('nk');
  let applied: Obj[] = [];

  beforeAll(async () => {
    await lab.up(['-f', `${REPO}/${FIXTURES}/houses.yaml`]);
    const real = new Map((await lab.pods()).map((p) => [p.key, p.ip]));
    labAddress = new Map(loadCluster([HOUSES]).pods.map((p) => [p.ip, real.get(`${p.namespace}/${p.name}`)!]));
    expect([...labAddress.values()].every(Boolean), 'every houses pod has a lab address').toBe(true);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  /** The unit loader's address of each houses.yaml pod → the lab's address of the same pod. */
  let labAddress = new Map<string, string>();
  /** A /32 of a pod's address as the unit loader assigns it, made the lab's address of that pod. */
  const labAddresses = (objects: Obj[]): Obj[] =>
    objects.map((o) => {
      if (o.kind !== 'ClusterNetworkPolicy') return o;
      const copy = structuredClone(o);
      for (const rule of [...(copy.spec.ingress ?? []), ...(copy.spec.egress ?? [])]) {
        for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
          if (Array.isArray(peer.networks)) peer.networks = peer.networks.map((c: string) => (c.endsWith('/32') && labAddress.has(c.slice(0, -3)) ? `${labAddress.get(c.slice(0, -3))}/32` : c));
        }
      }
      return copy;
    });

  /**
   * Makes the lab's policies exactly `objects`: the others deleted, these applied. A Namespace
   * (a case relabels one of the houses) is applied, never deleted: it is the lab's own.
   */
  async function setPolicies(objects: Obj[]): Promise<void> {
    const gone = applied.filter((o) => o.kind !== 'Namespace' && !objects.some((n) => id(n) === id(o)));
    if (gone.length > 0) await lab.ok('delete', ['-f', writeManifest(gone, 'gone.yaml')]);
    if (objects.length > 0) await lab.ok('apply', ['-f', writeManifest(objects, 'policies.yaml')]);
    applied = objects;
    // A UDP exchange an earlier step allowed stays in conntrack, and established flows are accepted first.
    for (const n of (await lab.nodes()).map((x) => x.name)) spawnSync('ip', ['netns', 'exec', lab.nodeNetns(n), 'conntrack', '-D', '-p', 'udp'], { stdio: 'ignore' });
  }

  // The first cases in both forms would be the same data plane twice: v1alpha1 once, for the
  // case with an AdminNetworkPolicy, a NetworkPolicy and the BaselineAdminNetworkPolicy together.
  const runs = [
    ...CASES.map((c) => ({ c, version: 'v1alpha2' as const })),
    ...CASES.filter((c) => c.file === 'integration.yaml').map((c) => ({ c, version: 'v1alpha1' as const })),
    ...MORE_IN_LAB.map((c) => ({ c, version: 'v1alpha2' as const })),
  ];
  it('runs every restated case with TCP or UDP probes but those named above', () => {
    expect(MORE_CASES.filter((c) => probed(c) && !MORE_IN_LAB.includes(c)).map((c) => c.title).every((t) => /NodePeers/.test(t))).toBe(true);
    expect(MORE_IN_LAB.every(probed)).toBe(true);
  });
  for (const { c, version } of runs) {
    {
      it(`${c.title} (${version})`, async () => {
        const objs = docs(c.file);
        for (const step of c.steps) {
          step.change?.(objs);
          await setPolicies(labAddresses(version === 'v1alpha1' ? objs.map(toV1alpha1) : structuredClone(objs)));
          await expectStepInLab(lab, step, key);
        }
      }, T);
    }
  }

  it.skipIf(!HAVE_KUBECTL)('kubectl: apply, get cnp|anp|banp (the CRDs\' columns), delete; real probes follow each change', async () => {
    await setPolicies([]);
    const kubectl = kubectlFor(lab, 90_000);
    const ok = (args: string[], input?: string) => {
      const r = kubectl(args, input);
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const from = key('slytherin/draco-malfoy-0');
    const to = key('gryffindor/harry-potter-0');
    const probe = async () => JSON.parse((await lab.cli('probe', [from, to, '--port', '80', '-o', 'json'])).stdout) as { allowed: boolean; expected: boolean };
    expect(await probe()).toMatchObject({ allowed: true, expected: true });
    const cnp = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: kdeny}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {conformance-house: gryffindor}}}
  ingress:
  - {name: no-slytherin, action: Deny, from: [{namespaces: {matchLabels: {conformance-house: slytherin}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: kallow}
spec:
  priority: 9
  subject: {namespaces: {}}
  ingress:
  - {action: Allow, from: [{namespaces: {}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}]}
`;
    expect(ok(['apply', '-f', '-'], cnp)).toMatch(/clusternetworkpolicy\.policy\.networking\.k8s\.io\/kdeny created[\s\S]*adminnetworkpolicy\.policy\.networking\.k8s\.io\/kallow created[\s\S]*baselineadminnetworkpolicy\.policy\.networking\.k8s\.io\/default created/);
    expect(ok(['get', 'cnp'])).toMatch(/^NAME\s+TIER\s+PRIORITY\s+AGE\nkdeny\s+Admin\s+7\s+\S+\n$/);
    expect(ok(['get', 'anp'])).toMatch(/^NAME\s+PRIORITY\s+AGE\nkallow\s+9\s+\S+\n$/);
    expect(ok(['get', 'banp', '-o', 'name'])).toBe('baselineadminnetworkpolicy.policy.networking.k8s.io/default\n');
    expect(await lab.ok('get', ['cnp'])).toMatch(/^NAME\s+TIER\s+PRIORITY\s+AGE\nkdeny\s+Admin\s+7\s/);
    // The Admin Deny at 7 is checked before the Allow at 9; the lab applies the write right after storing it.
    await until('the Deny to be enforced', async () => !(await probe()).allowed, 60_000);
    expect(await probe()).toMatchObject({ allowed: false, expected: false });
    // Without the Deny the AdminNetworkPolicy's Allow decides, before the baseline Deny.
    ok(['delete', 'cnp', 'kdeny']);
    await until('the Allow to decide', async () => (await probe()).allowed, 60_000);
    // Without it, the baseline Deny.
    ok(['delete', 'anp', 'kallow']);
    await until('the baseline Deny to decide', async () => !(await probe()).allowed, 60_000);
    ok(['delete', 'banp', 'default']);
    await until('the default to allow', async () => (await probe()).allowed, 60_000);
    expect(ok(['get', 'cnp,anp,banp'])).toBe('');
  }, T);
});
