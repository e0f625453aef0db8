/**
 * Containers as kubelet runs them, observed as a user would (get pods, logs, real connections):
 * init containers in order (a sidecar kept running), Init:N/M, Init:Error, Init:CrashLoopBackOff,
 * `logs -c INIT`; a command not on this host runs the built-in server (noted in its log and in
 * `get pods -o wide`), which serves the ports its probes and Services name, with TLS where an
 * HTTPS probe asks. Needs root and `ip`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, fixture, TestLab, until, type PodInfo } from './helpers.js';

const T = 90_000;

describe.skipIf(!CAN_RUN_LAB)('init containers and the entrypoint rule (root)', () => {
  const lab = new TestLab('rm');
  let pods: PodInfo[] = [];

  beforeAll(async () => {
    await lab.up(['-f', fixture('containers.yaml')]);
    pods = await lab.pods();
  }, T);

  afterAll(async () => {
    await lab.cleanup();
  }, T);

  const status = async (name: string) => (await lab.readyColumn()).get(`default/${name}`);

  it('init containers run in order, each to completion, then the app container; the sidecar keeps running', async () => {
    await until('init-ok ready', async () => (await status('init-ok'))?.status === 'Running', 30_000);
    expect(await status('init-ok')).toEqual({ ready: '1/1', status: 'Running' });
    expect(await lab.ok('logs', ['init-ok', '-c', 'first'])).toContain('first ran');
    expect(await lab.ok('logs', ['init-ok', '-c', 'second'])).toContain('second ran after first');
    expect(await lab.ok('logs', ['init-ok', '-c', 'side'])).toContain('sidecar up');
    // The sidecar is a real process, still running beside the app container (in a PID namespace
    // of its own, as kubelet's default: entered with -c as kubectl exec -c does).
    const ps = await lab.cli('exec', ['init-ok', '-c', 'side', '--', 'sh', '-c', 'ps -eo args | grep -c "^sleep 3601$"']);
    expect(Number(ps.stdout.trim())).toBeGreaterThanOrEqual(1);
  }, T);

  it('a pod waits in Init:0/1 while its init container runs; Init:Error when one fails in a Never pod; Init:CrashLoopBackOff while one is restarted', async () => {
    expect(await status('init-wait')).toEqual({ ready: '0/1', status: 'Init:0/1' });
    await until('init-fail Init:Error', async () => (await status('init-fail'))?.status === 'Init:Error', 20_000);
    expect(await lab.ok('logs', ['init-fail', '-c', 'bad'])).toContain('failing');
    await until('init-loop Init:CrashLoopBackOff', async () => (await status('init-loop'))?.status === 'Init:CrashLoopBackOff', 30_000);
    // The app containers never started: nothing listens on 8080.
    const wait = pods.find((p) => p.name === 'init-wait')!;
    const [r] = await lab.probeFromPod('init-ok', [{ proto: 'tcp', host: wait.ip, port: 8080 }]);
    expect(r.ok).toBe(false);
  }, T);

  it('a command not on this host runs the built-in server, noted in its log and in get pods -o wide', async () => {
    expect(await lab.ok('logs', ['imaged'])).toContain('command "/app" is not on this host: the built-in server runs on the container\'s ports instead');
    const wide = await lab.ok('get', ['pods', '-o', 'wide']);
    expect(wide).toMatch(/imaged .* app=built-in\(not on host\)/);
    expect(wide).toMatch(/init-ok .* main=built-in/);
  }, T);

  it('the built-in server serves the probe ports (TLS for the HTTPS one) and the Service targetPort; probes pass', async () => {
    await until('imaged ready', async () => (await status('imaged'))?.ready === '1/1', 30_000);
    const imaged = pods.find((p) => p.name === 'imaged')!;
    const [probePort, servicePort, declared, tlsAsPlain] = await lab.probeFromPod('init-ok', [
      { proto: 'http', host: imaged.ip, port: 9001 },
      { proto: 'http', host: imaged.ip, port: 6000 },
      { proto: 'http', host: imaged.ip, port: 80 },
      { proto: 'http', host: imaged.ip, port: 8443 },
    ]);
    for (const r of [probePort, servicePort, declared]) expect(r, `${r.port}: ${r.error ?? ''}`).toMatchObject({ ok: true, body: { pod: 'imaged' } });
    expect(tlsAsPlain.ok).toBe(false);
    const https = await lab.exec('init-ok', ['curl', '-sk', `https://${imaged.ip}:8443/healthz`]);
    expect(JSON.parse(https.stdout)).toMatchObject({ pod: 'imaged', port: 8443 });
    expect(await lab.ok('logs', ['imaged'])).toMatch(/TCP\/8443 \(TLS, self-signed\)/);
  }, T);
});
