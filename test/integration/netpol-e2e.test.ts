/**
 * The upstream NetworkPolicy e2e suite (test/helpers/netpol-e2e-cases.ts) with real probes: one
 * lab of 9 pods (x, y, z × a, b, c, serving TCP and UDP 80 and 81) on 2 nodes; each test's
 * policies and label changes applied step by step with the CLI, every table probed by `podnet
 * matrix` and compared both with upstream's table (on the test's own pods) and with the analyzer
 * (on all pairs). SCTP cannot be probed on this kernel: the SCTP context runs in the analyzer
 * only (test/unit/netpol-e2e.test.ts); TCP tests whose policies name SCTP run here.
 * A second lab, `podnet up --semantics cilium`, enforces that profile: the CIDR tests' tables
 * differ from upstream's there, and the probes still equal the analyzer in that profile.
 * Needs root, `ip` and `nft`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIDR_CASES, E2E_CASES } from '../helpers/netpol-e2e-cases.js';
import { E2E_PODS, expectedPairs, labelsAt, namespaceObjects, podObjects, policiesOf, type E2ECase, type Obj } from '../helpers/netpol-e2e.js';
import { CAN_RUN_LAB, TestLab } from './helpers.js';
import { matrix, mismatches, removeManifests, writeManifest } from './policy-lab.js';

const T = 900_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;
const PROBED = E2E_CASES.filter((c) => !c.name.startsWith('[SCTP]'));
const base = () => [...namespaceObjects(), ...podObjects(E2E_PODS, {}, ['TCP', 'UDP'])];
const nameOf = (o: Obj) => `${(o.metadata as Obj).namespace}/${(o.metadata as Obj).name}`;

afterAll(() => removeManifests());

/** Runs the cases on `lab`; returns, per case, the tables (as text) that differ from upstream's. */
async function runCases(lab: TestLab, cases: readonly E2ECase[]): Promise<Map<string, string[]>> {
  const ips = new Map((await lab.pods()).map((p) => [p.key, p.ip]));
  const ip = (pod: string) => ips.get(pod) ?? '';
  const differing = new Map<string, string[]>();
  let present: Obj[] = [];
  let labels = JSON.stringify([{}, {}]); // the labels the lab has now (none added)
  for (const c of cases) {
    for (const [i, step] of c.steps.entries()) {
      const policies = policiesOf(step, ip);
      const gone = present.filter((p) => !policies.some((q) => nameOf(q) === nameOf(p)));
      if (gone.length > 0) await lab.ok('delete', ['-f', writeManifest(gone, 'gone.yaml')]);
      // Namespaces and pods only when their labels change (fewer, cheaper reconciles).
      const [nsLabels, podLabels] = [labelsAt(c.steps, i, 'nsLabels'), labelsAt(c.steps, i, 'podLabels')];
      const relabel = JSON.stringify([nsLabels, podLabels]) !== labels;
      const objects = [...(relabel ? [...namespaceObjects(nsLabels), ...podObjects(E2E_PODS, podLabels, ['TCP', 'UDP'])] : []), ...policies];
      if (objects.length > 0 && (relabel || JSON.stringify(policies) !== JSON.stringify(present))) await lab.ok('apply', ['-f', writeManifest(objects, 'step.yaml')]);
      labels = JSON.stringify([nsLabels, podLabels]);
      present = policies;
      for (const check of step.checks) {
        const { m } = await matrix(lab, check.port, check.protocol);
        const where = `${c.name}, step ${i + 1}, ${check.protocol}/${check.port}`;
        expect(mismatches(m), `${where}: probes vs analyzer`).toEqual([]);
        const got: string[] = [];
        m.pods.forEach((s, a) => m.pods.forEach((d, b) => s !== d && c.pods.includes(s) && c.pods.includes(d) && m.allowed[a][b] && got.push(`${s} -> ${d}`)));
        const want = expectedPairs(c.pods, check.ops);
        if (JSON.stringify(got.sort()) !== JSON.stringify(want.sort())) differing.set(c.name, [...(differing.get(c.name) ?? []), `${where}: probed ${got.join(', ')}; upstream ${want.join(', ')}`]);
      }
    }
  }
  // Back to no policies and the original labels.
  if (present.length > 0) await lab.ok('delete', ['-f', writeManifest(present, 'gone.yaml')]);
  if (labels !== JSON.stringify([{}, {}])) await lab.ok('apply', ['-f', writeManifest(base(), 'base.yaml')]);
  return differing;
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('upstream NetworkPolicy e2e suite with real probes (default semantics)', () => {
  const lab = new TestLab('sm');

  beforeAll(async () => {
    await lab.up(['-f', writeManifest(base(), 'base.yaml')]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it(`every table of the ${PROBED.length} TCP and UDP tests matches upstream and the analyzer`, async () => {
    const differing = await runCases(lab, PROBED);
    expect([...differing.values()].flat()).toEqual([]);
  }, T);
});

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('podnet up --semantics cilium: the data plane enforces that profile', () => {
  const lab = new TestLab('sm');

  beforeAll(async () => {
    await lab.up(['--semantics', 'cilium', '-f', writeManifest(base(), 'base.yaml')]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('np-guard cannot be enforced: exit 2, nothing created', async () => {
    const other = new TestLab('sm');
    const r = await other.cli('up', ['--semantics', 'np-guard']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--semantics: "np-guard" must be upstream or cilium/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await other.cleanup()).toEqual([]);
  }, T);

  it('the CIDR tests differ from upstream (ipBlocks do not match pod IPs), probes equal the analyzer', async () => {
    const cidr = E2E_CASES.filter((c) => CIDR_CASES.includes(c.name));
    const differing = await runCases(lab, cidr);
    expect([...differing.keys()]).toEqual(CIDR_CASES);
    // `matrix --semantics upstream` on this lab: the analyzer's upstream verdicts are not what it enforces.
    const ips = new Map((await lab.pods()).map((p) => [p.key, p.ip]));
    const policy = policiesOf(cidr[0].steps[0], (pod) => ips.get(pod)!);
    await lab.ok('apply', ['-f', writeManifest(policy, 'cidr.yaml')]);
    const r = await lab.cli('matrix', ['--semantics', 'upstream', '-o', 'json']);
    expect(r.code).toBe(1);
    const m = JSON.parse(r.stdout) as Parameters<typeof mismatches>[0];
    expect(mismatches(m)).toContain('x/a -> y/b: probe false, analyzer true');
    await lab.ok('delete', ['-f', writeManifest(policy, 'cidr.yaml')]);
  }, T);
});
