/**
 * Container probes in a real lab: exec readiness in a command container follows a file, httpGet
 * and gRPC probes pass against the built-in server, a tcpSocket probe on a closed port keeps its
 * pod not ready, and failing liveness restarts a command container. Observed the way a user
 * would: `podnet get pods -o json` (conditions, containerStatuses) and the READY column.
 * Needs root and `ip`; the lab has a unique name and cleans up even when a test fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, TestLab, until } from './helpers.js';

const T = 120_000;

interface ContainerStatus { name: string; ready: boolean; restartCount: number; started: boolean }
interface PodJson { metadata: { name: string }; status: { conditions?: { type: string; status: string }[]; containerStatuses?: ContainerStatus[] } }

function manifest(flag: string): string {
  const pod = (name: string, container: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: node-1
  containers:
  - ${container}
`;
  const quick = 'periodSeconds: 1, timeoutSeconds: 1';
  return [
    pod('exec-ready', `{name: app, image: busybox, command: [sleep, '3600'], readinessProbe: {exec: {command: [test, -f, ${flag}]}, ${quick}, failureThreshold: 1}}`),
    pod('http-ready', `{name: web, image: nginx, ports: [{name: http, containerPort: 8080}], readinessProbe: {httpGet: {path: /healthz, port: http}, ${quick}}}`),
    pod('grpc-ready', `{name: api, image: grpc, ports: [{containerPort: 9555}], readinessProbe: {grpc: {port: 9555}, ${quick}}, livenessProbe: {grpc: {port: 9555}, ${quick}}}`),
    // A command container that listens nowhere (a built-in one would serve the probe's port).
    pod('tcp-never', `{name: db, image: redis, command: [sleep, '3600'], ports: [{containerPort: 6379}], readinessProbe: {tcpSocket: {port: 6380}, ${quick}}}`),
    pod('liveness', `{name: app, image: busybox, command: [sleep, '3600'], livenessProbe: {tcpSocket: {port: 7777}, ${quick}, failureThreshold: 2}}`),
  ].join('');
}

describe.skipIf(!CAN_RUN_LAB)('container probes in a lab (root, real namespaces)', () => {
  const lab = new TestLab('pr');
  const flag = '/tmp/ready'; // inside the container (its /tmp is its own): set with podnet exec

  async function pods(): Promise<Map<string, PodJson>> {
    const list = JSON.parse(await lab.ok('get', ['pods', '-o', 'json'])) as { items: PodJson[] };
    return new Map(list.items.map((p) => [p.metadata.name, p]));
  }
  const readyCondition = (p: PodJson | undefined) => p?.status.conditions?.find((c) => c.type === 'Ready')?.status;

  beforeAll(async () => {
    const file = join(lab.stateRoot, 'probes.yaml');
    writeFileSync(file, manifest(flag));
    await lab.up(['--nodes', '1', '-f', file]);
  }, T);

  afterAll(async () => {
    // Nothing may survive `down`: no agent, no probe helper, no exec probe, no namespace.
    expect(await lab.cleanup()).toEqual([]);
  }, T);
  const containerLog = (pod: string, container: string) => readFileSync(join(lab.stateDir, 'logs', `default_${pod}_${container}.log`), 'utf8');

  it('httpGet and grpc probes against the built-in server pass: Ready True, READY 1/1', async () => {
    await until('http-ready and grpc-ready to be ready', async () => {
      const p = await pods();
      return readyCondition(p.get('http-ready')) === 'True' && readyCondition(p.get('grpc-ready')) === 'True';
    });
    const p = await pods();
    expect(p.get('grpc-ready')!.status.containerStatuses).toEqual([{ name: 'api', ready: true, restartCount: 0, started: true, state: { running: { startedAt: expect.any(String) } } }]);
    const table = await lab.readyColumn();
    expect(table.get('default/http-ready')).toEqual({ ready: '1/1', status: 'Running' });
    expect(table.get('default/grpc-ready')).toEqual({ ready: '1/1', status: 'Running' });
    // The requests really reached the built-in servers (HTTP/1 and gRPC over h2c on its port).
    expect(containerLog('http-ready', 'web')).toContain('/healthz');
    expect(containerLog('grpc-ready', 'api')).toContain('gRPC /grpc.health.v1.Health/Check SERVING');
  }, T);

  it('a tcpSocket probe on a port nothing listens on keeps the pod not ready (but Running)', async () => {
    await until('http-ready to be ready', async () => readyCondition((await pods()).get('http-ready')) === 'True');
    const p = (await pods()).get('tcp-never')!;
    expect(readyCondition(p)).toBe('False');
    expect(p.status.containerStatuses).toMatchObject([{ name: 'db', ready: false, started: true }]);
    expect((await lab.readyColumn()).get('default/tcp-never')).toEqual({ ready: '0/1', status: 'Running' });
  }, T);

  it('an exec readiness probe follows a file: ready after it exists, not ready after it is removed', async () => {
    await new Promise((r) => setTimeout(r, 2_000)); // a few probe periods without the file
    expect(readyCondition((await pods()).get('exec-ready'))).toBe('False');
    expect((await lab.readyColumn()).get('default/exec-ready')).toEqual({ ready: '0/1', status: 'Running' });
    expect((await lab.exec('default/exec-ready', ['touch', flag])).code).toBe(0);
    await until('exec-ready to become ready', async () => readyCondition((await pods()).get('exec-ready')) === 'True');
    expect((await lab.readyColumn()).get('default/exec-ready')).toEqual({ ready: '1/1', status: 'Running' });
    expect((await lab.exec('default/exec-ready', ['rm', flag])).code).toBe(0);
    await until('exec-ready to become not ready', async () => readyCondition((await pods()).get('exec-ready')) === 'False');
    expect((await pods()).get('exec-ready')!.status.containerStatuses).toMatchObject([{ name: 'app', ready: false, restartCount: 0 }]);
  }, T);

  it('failing liveness restarts a command container: its restart count goes up', async () => {
    const restarts = async () => (await pods()).get('liveness')?.status.containerStatuses?.[0]?.restartCount ?? 0;
    // kubelet's back-off: 10 s before the first restart, 20 s before the second.
    await until('the liveness pod to be restarted twice', async () => (await restarts()) >= 2, 75_000);
    expect(containerLog('liveness', 'app')).toContain('liveness probe failed 2 times in a row: killing the container');
  }, T);
});
