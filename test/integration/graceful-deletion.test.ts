/**
 * Graceful pod deletion with the real kubectl and real processes: a deleted pod is Terminating
 * (deletionTimestamp, deletionGracePeriodSeconds, Killing events) while its containers get
 * SIGTERM, its EndpointSlice endpoint is ready=false, serving, terminating (v1 Endpoints leave
 * it out), its network stays; it goes when its processes have exited, or SIGKILL at the end of
 * its grace period; preStop hooks (exec, sleep) run first, the pod serving meanwhile;
 * --grace-period=0 --force is immediate; `podnet delete` waits for it.
 * Needs root; unique lab (prefix kgrc), cleaned up on failure.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, TestLab, until } from './helpers.js';

const T = 120_000;

type Slice = { endpoints?: { addresses: string[]; conditions: { ready?: boolean; serving?: boolean; terminating?: boolean }; targetRef?: { name: string } }[] };

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('graceful pod deletion (root, real processes, kubectl)', () => {
  const lab = new TestLab('kgrc');
  const kubectl = kubectlFor(lab, 60_000);
  const ok = (args: string[]) => {
    const r = kubectl(args);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const podJson = (name: string) => {
    const r = kubectl(['get', 'pod', name, '-o', 'json']);
    return r.status === 0 ? (JSON.parse(r.stdout) as { metadata: Record<string, unknown>; status?: { podIP?: string; phase?: string } }) : null;
  };
  const endpointOf = (name: string) => {
    const slices = JSON.parse(ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=graceful', '-o', 'json'])) as { items: Slice[] };
    return slices.items.flatMap((s) => s.endpoints ?? []).find((e) => e.targetRef?.name === name);
  };
  const netnsExists = (ns: string) => existsSync(`/run/netns/${ns}`);
  const logOf = (pod: string) => readFileSync(join(lab.stateDir, 'logs', `default_${pod}_c.log`), 'utf8');

  beforeAll(async () => {
    await lab.up(['-f', fixture('graceful.yaml')]);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('a deleted pod is Terminating while its container shuts down on SIGTERM; its endpoint is serving and terminating; then it is gone', async () => {
    const before = podJson('polite')!;
    const netns = await lab.podNetns('default/polite');
    expect(endpointOf('polite')?.conditions).toEqual({ ready: true, serving: true, terminating: false });
    // kube-apiserver answers a graceful delete with the object, marked (kubectl delete --raw prints the answer).
    const answer = ok(['delete', '--raw', '/api/v1/namespaces/default/pods/polite']);
    const marked = JSON.parse(answer) as { kind: string; metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } };
    expect(marked.kind).toBe('Pod');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(20);
    const asked = Date.now();
    // deletionTimestamp: when it will be deleted at the latest (now + the 20 s grace period).
    expect(Date.parse(marked.metadata.deletionTimestamp!)).toBeGreaterThan(asked + 15_000);
    const terminating = await until('polite to show Terminating', () => (/^polite\s+\S+\s+Terminating\s/m.test(ok(['get', 'pods'])) ? true : null), 10_000);
    expect(terminating).toBe(true);
    const during = podJson('polite')!;
    expect(during.metadata.uid).toBe(before.metadata.uid); // the same object, not a new one
    expect(during.status?.podIP).toBe(before.status?.podIP);
    expect(endpointOf('polite')?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    // The controller's v1 Endpoints leave a terminating pod out (the Service does not publish not-ready addresses).
    expect(ok(['get', 'endpoints', 'graceful', '-o', 'jsonpath={.subsets[*].addresses[*].ip} {.subsets[*].notReadyAddresses[*].ip}'])).not.toContain(before.status!.podIP!);
    expect(ok(['get', 'events', '--field-selector', 'involvedObject.name=polite,reason=Killing', '-o', 'jsonpath={.items[*].message}'])).toBe('Stopping container c');
    expect(netnsExists(netns)).toBe(true);
    expect((await lab.readyColumn()).get('default/polite')?.status).toBe('Terminating'); // podnet get pods too
    // The trap sleeps 3 s, then the pod goes.
    await until('polite to be gone', () => podJson('polite') === null, 20_000);
    const gone = Date.now() - asked;
    expect(gone).toBeGreaterThan(2_500);
    expect(logOf('polite')).toMatch(/got SIGTERM[\s\S]*bye/);
    expect(endpointOf('polite')).toBeUndefined();
    await until('its network namespace to be removed', () => !netnsExists(netns), 10_000);
  }, T);

  it('a container that ignores SIGTERM is killed at the end of its grace period; kubectl delete waits for it', async () => {
    const netns = await lab.podNetns('default/stubborn');
    const start = Date.now();
    expect(ok(['delete', 'pod', 'stubborn'])).toMatch(/pod "stubborn" deleted/);
    const took = Date.now() - start;
    expect(took).toBeGreaterThan(1_800); // terminationGracePeriodSeconds: 2
    expect(took).toBeLessThan(15_000);
    expect(podJson('stubborn')).toBeNull();
    await until('its network namespace to be removed', () => !netnsExists(netns), 10_000);
  }, T);

  it('--grace-period=0 --force deletes at once, whatever the pod does with SIGTERM', async () => {
    const path = join(lab.stateRoot, 'stubborn-long.yaml');
    writeFileSync(path, readFileSync(fixture('graceful.yaml'), 'utf8').replace('name: stubborn', 'name: stubborn-long').replace('terminationGracePeriodSeconds: 2', 'terminationGracePeriodSeconds: 60'));
    ok(['apply', '-f', path]);
    await until('stubborn-long to run', () => podJson('stubborn-long')?.status?.phase === 'Running', 30_000);
    const start = Date.now();
    const r = kubectl(['delete', 'pod', 'stubborn-long', '--grace-period=0', '--force']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/Immediate deletion does not wait/);
    await until('stubborn-long to be gone', () => podJson('stubborn-long') === null, 15_000);
    expect(Date.now() - start).toBeLessThan(15_000);
  }, T);

  it('a preStop exec hook runs in the container before SIGTERM', async () => {
    const start = Date.now();
    expect(ok(['delete', 'pod', 'hooked'])).toMatch(/pod "hooked" deleted/);
    expect(Date.now() - start).toBeGreaterThan(900); // the hook's sleep 1
    expect(logOf('hooked')).toMatch(/preStop ran\s+got SIGTERM/);
  }, T);

  it('during a preStop sleep the pod still serves and its endpoint is serving and terminating (draining); then it goes', async () => {
    const ip = podJson('napper')!.status!.podIP!;
    const start = Date.now();
    ok(['delete', 'pod', 'napper', '--wait=false']);
    await until('napper to be terminating', () => endpointOf('napper')?.conditions.terminating === true || null, 5_000);
    expect(endpointOf('napper')?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    const [r] = await lab.probeFromPod('default/keeper', [{ proto: 'http', host: ip, port: 8080, path: '/' }]);
    expect(r.ok).toBe(true);
    await until('napper to be gone', () => podJson('napper') === null, 20_000);
    expect(Date.now() - start).toBeGreaterThan(2_800); // sleep: {seconds: 3}
  }, T);

  it('podnet delete returns when the pod has shut down (SIGTERM, not SIGKILL)', async () => {
    const path = join(lab.stateRoot, 'polite-again.yaml');
    writeFileSync(path, readFileSync(fixture('graceful.yaml'), 'utf8').split('---')[0].replace('name: polite', 'name: polite-cli'));
    await lab.ok('apply', ['-f', path]);
    const netns = await lab.podNetns('default/polite-cli');
    const start = Date.now();
    await lab.ok('delete', ['-f', path]);
    expect(Date.now() - start).toBeGreaterThan(2_500); // the trap's 3 s
    expect(netnsExists(netns)).toBe(false);
    expect(logOf('polite-cli')).toMatch(/got SIGTERM[\s\S]*bye/);
    expect((await lab.pods()).map((p) => p.name)).not.toContain('polite-cli');
  }, T);
});
