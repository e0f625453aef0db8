/**
 * `podnet wait` on a real lab, as `kubectl wait` is used in CI scripts: a pod whose readiness
 * probe waits for a file times out (exit 1, kubectl's message), becomes ready once the file
 * exists (by name and by label selector), not ready once it is gone, and `--for delete` returns
 * when a concurrent `podnet delete` removed it. Needs root; unique lab, cleaned up on failure.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, TestLab } from './helpers.js';

const T = 120_000;

describe.skipIf(!CAN_RUN_LAB)('podnet wait (root, real namespaces)', () => {
  const lab = new TestLab('wt');
  const flag = '/tmp/ready'; // inside the container (its /tmp is its own): set with podnet exec
  const gateFile = join(lab.stateRoot, 'gate.yaml');

  beforeAll(async () => {
    writeFileSync(
      gateFile,
      `apiVersion: v1
kind: Pod
metadata: {name: gate, labels: {app: gate}}
spec:
  containers:
  - {name: app, image: busybox, command: [sleep, '3600'], readinessProbe: {exec: {command: [test, -f, ${flag}]}, periodSeconds: 1, failureThreshold: 1}}
---
apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec:
  containers:
  - {name: web, image: nginx, ports: [{containerPort: 80}]}
`,
    );
    await lab.up(['--nodes', '1', '-f', gateFile]);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('times out on a pod that is not ready: exit 1 with kubectl\'s message', async () => {
    const r = await lab.cli('wait', ['pod/gate', '--for', 'condition=Ready', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: timed out waiting for the condition on pods/gate\n');
  }, T);

  it('returns once the pod is ready, by name and by selector; and once it is not ready again', async () => {
    expect(await lab.ok('wait', ['pods', '-l', 'app notin (other)', '--for=condition=Ready=false', '--timeout', '5s'])).toBe('pod/gate condition met\n');
    const waiting = lab.cli('wait', ['pod/gate', 'pod/other', '--for=condition=Ready', '--timeout', '30s']);
    expect((await lab.exec('default/gate', ['touch', flag])).code).toBe(0);
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['pod/gate condition met', 'pod/other condition met']);
    expect(await lab.ok('wait', ['pods', '--all', '--for', 'condition=Ready', '--timeout', '5s'])).toMatch(/pod\/gate condition met/);
    expect((await lab.exec('default/gate', ['rm', flag])).code).toBe(0);
    expect(await lab.ok('wait', ['pods', '-l', 'app=gate', '--for', 'condition=Ready=false', '--timeout', '10s'])).toBe('pod/gate condition met\n');
  }, T);

  it('--for delete returns when a concurrent delete removed the pod; a pod already gone counts as deleted', async () => {
    const waiting = lab.cli('wait', ['pod/gate', '--for', 'delete', '--timeout', '60s']);
    await lab.ok('delete', ['-f', gateFile]);
    expect(await waiting).toMatchObject({ code: 0, stdout: 'pod/gate deleted\n' });
    expect(await lab.ok('wait', ['pod/gate', '--for', 'delete', '--timeout', '1s'])).toBe('pod/gate deleted\n');
  }, T);

  it('bad arguments: exit 2 with a message, and no matching pods is an error', async () => {
    for (const args of [['pods', '--for', 'condition=Ready'], ['pod/gate', '--for', 'condition=Available'], ['pods', '-l', 'a in (b', '--all', '--for', 'delete'], ['pod/x', '--for', 'delete', '--timeout', 'soon']]) {
      const r = await lab.cli('wait', args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^podnet: wait: /);
    }
    expect(await lab.cli('wait', ['pods', '-l', 'app=none', '--for', 'condition=Ready'])).toMatchObject({ code: 1, stderr: 'error: no matching resources found\n' });
  }, T);
});
