// What the code review found, proven fixed on a real lab: an interrupted pod ADD does not block
// later applies, and one pod that cannot start fails alone (the rest, Services included, go on).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, REPO, TestLab } from './helpers.js';

const fx = (name: string) => `${REPO}/test/fixtures/robust/${name}`;

describe.skipIf(!CAN_RUN_LAB)('lab robustness (root, real namespaces)', () => {
  const lab = new TestLab('rb');
  beforeAll(async () => {
    await lab.up(['--nodes', '2', '-f', fx('base.yaml')]);
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('an apply whose pod namespace was left behind by an interrupted run replaces it', async () => {
    // Simulate the leftover: the namespace a new pod will get already exists, unrecorded.
    const ns = `pn-${lab.name}_p`;
    const before = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(before).toContain(ns);
    const out = await lab.ok('apply', ['-f', fx('clash.yaml')]);
    expect(out).toMatch(/3 pods started/);
    const pods = await lab.pods();
    const fresh = pods.find((p) => p.name === 'fresh')!;
    const leftover = await lab.podNetns('fresh');
    execFileSync('ip', ['netns', 'exec', leftover, 'true']);
    // Delete and re-apply after recreating the namespace by hand: the ADD must not fail on it.
    await lab.ok('delete', ['-f', fx('clash.yaml')]);
    execFileSync('ip', ['netns', 'add', leftover]);
    const again = await lab.cli('apply', ['-f', fx('clash.yaml')]);
    expect(again.code).toBe(0);
    const probe = await lab.probeFromPod('default/keep', [{ proto: 'http', host: fresh.ip, port: 8080 }]);
    expect(probe[0]).toMatchObject({ ok: true, body: { pod: 'fresh' } });
  });

  it('a pod that cannot start (port taken in a shared namespace) fails alone; the rest and Services work', async () => {
    const r = await lab.cli('apply', ['-f', fx('clash.yaml')]);
    expect(r.code).toBe(0);
    const status = await lab.readyColumn();
    const states = [...status.entries()].filter(([k]) => k.includes('host-')).map(([, v]) => v.status);
    expect(states.filter((s) => s === 'Running')).toHaveLength(1);
    const svc = JSON.parse((await lab.ok('get', ['svc', '-o', 'json'])).toString()) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = svc.items.find((i) => i.metadata.name === 'fresh')!.spec.clusterIP;
    const probe = await lab.probeFromPod('default/keep', [{ proto: 'http', host: vip, port: 80 }]);
    expect(probe[0]).toMatchObject({ ok: true, body: { pod: 'fresh' } });
  });
});
