/**
 * The pure rules behind real manifests in a lab: what a container runs (the entrypoint rule),
 * which ports a built-in container serves, and how init containers are sequenced and shown.
 */
import { describe, expect, it } from 'vitest';
import { initRestartPolicy, initStatusText, nextInitStep, type InitEntry } from '../../src/lab/agent/init-sequence.js';
import type { ContainerStatus } from '../../src/lab/agent/protocol.js';
import { chooseEntrypoint, entrypointLabel } from '../../src/model/entrypoint.js';
import { servedPorts } from '../../src/model/served-ports.js';
import { loadCluster } from './fixtures.js';

describe('the entrypoint rule', () => {
  const onHost = (p: string) => ['/usr/bin/curl', 'sh'].includes(p);
  it.each([
    ['no command: built-in', {}, { run: 'builtin' }],
    ['args only (an image entrypoint): built-in', { args: ['netexec'] }, { run: 'builtin' }],
    ['args only, of an image with no entrypoint: the args run', { image: 'busybox:1.36', args: ['sh', '-c', 'true'] }, { run: 'command', argv: ['sh', '-c', 'true'] }],
    ['the same at another registry, by digest', { image: 'registry.k8s.io/e2e-test-images/busybox@sha256:ab', args: ['sh'] }, { run: 'command', argv: ['sh'] }],
    ['args only, an image with an entrypoint: built-in', { image: 'registry.k8s.io/e2e-test-images/agnhost:2.45', args: ['netexec'] }, { run: 'builtin' }],
    ['no args, an image with no entrypoint: built-in (its CMD is a shell)', { image: 'alpine' }, { run: 'builtin' }],
    ['args only, no entrypoint, a program not on the host: built-in, with why', { image: 'ubuntu', args: ['/app'] }, { run: 'builtin', reason: `command "/app" is not on this host: the built-in server runs on the container's ports instead` }],
    ['a program on the host runs, with its args', { command: ['sh', '-c'], args: ['sleep 1'] }, { run: 'command', argv: ['sh', '-c', 'sleep 1'] }],
    ['an absolute path on the host runs', { command: ['/usr/bin/curl'] }, { run: 'command', argv: ['/usr/bin/curl'] }],
    ['a program not on the host: built-in, with why', { command: ['/app'], args: ['-port=80'] }, { run: 'builtin', reason: `command "/app" is not on this host: the built-in server runs on the container's ports instead` }],
  ])('%s', (_n, c, want) => {
    expect(chooseEntrypoint(c, onHost)).toEqual(want);
  });
  it('labels what runs for get pods -o wide', () => {
    expect(entrypointLabel('c', { run: 'builtin', reason: 'x' })).toBe('c=built-in(not on host)');
    expect(entrypointLabel('c', { run: 'command', argv: ['sh'] })).toBe('c=command');
  });
});

describe('servedPorts', () => {
  const cluster = loadCluster([
    `apiVersion: v1
kind: Pod
metadata: {name: app, labels: {app: web}}
spec:
  containers:
    - name: main
      env: [{name: PORT, value: "31000"}]
      ports: [{containerPort: 8080, name: http}]
      readinessProbe: {httpGet: {path: /healthz, port: 9001}}
      livenessProbe: {httpGet: {path: /live, port: 8443, scheme: HTTPS}}
    - name: side
      command: [sh, -c, 'sleep 1d']
      ports: [{containerPort: 7000}]`,
    `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 6000}, {port: 82, targetPort: 7000}, {port: 83, targetPort: http}]}`,
  ]);
  it('declared ports, probe ports (TLS for HTTPS), the PORT variable, and Service targetPorts no container declares', () => {
    const served = servedPorts(cluster.pods[0], cluster.services, (c) => c.name === 'main');
    expect(served.get('main')).toEqual([
      { containerPort: 8080, protocol: 'TCP', name: 'http' },
      { containerPort: 9001, protocol: 'TCP' },
      { containerPort: 8443, protocol: 'TCP', tls: true },
      { containerPort: 31000, protocol: 'TCP' },
      { containerPort: 6000, protocol: 'TCP' },
    ]);
    expect(served.get('side')).toEqual([{ containerPort: 7000, protocol: 'TCP' }]);
  });
});

const st = (state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name: 'x', kind: 'command', state, restarts: 0, ready: state === 'running', started: state === 'running', ...extra });

describe('init container sequencing', () => {
  const cases: [string, InitEntry[], ReturnType<typeof nextInitStep>, string | undefined][] = [
    ['nothing started: start the first', [{ sidecar: false, status: undefined }, { sidecar: false, status: undefined }], { action: 'start', index: 0 }, 'Init:0/2'],
    ['the first running: wait', [{ sidecar: false, status: st('running') }, { sidecar: false, status: undefined }], { action: 'wait' }, 'Init:0/2'],
    ['the first completed: start the second', [{ sidecar: false, status: st('exited', { exitCode: 0 }) }, { sidecar: false, status: undefined }], { action: 'start', index: 1 }, 'Init:1/2'],
    ['in back-off after a failure', [{ sidecar: false, status: st('waiting', { exitCode: 1 }) }], { action: 'wait' }, 'Init:CrashLoopBackOff'],
    ['failed for good (restartPolicy Never)', [{ sidecar: false, status: st('exited', { exitCode: 2 }) }], { action: 'failed', index: 0 }, 'Init:Error'],
    ['a started sidecar lets the next one start', [{ sidecar: true, status: st('running') }, { sidecar: false, status: undefined }], { action: 'start', index: 1 }, 'Init:1/2'],
    ['a sidecar not yet started (startupProbe): wait', [{ sidecar: true, status: st('running', { started: false }) }, { sidecar: false, status: undefined }], { action: 'wait' }, 'Init:0/2'],
    ['all done', [{ sidecar: true, status: st('running') }, { sidecar: false, status: st('exited', { exitCode: 0 }) }], { action: 'done' }, undefined],
  ];
  it.each(cases)('%s', (_n, entries, step, text) => {
    expect(nextInitStep(entries)).toEqual(step);
    expect(initStatusText(entries)).toBe(text);
  });
  it('init containers restart OnFailure unless the pod says Never; sidecars Always', () => {
    expect(initRestartPolicy('Always', false)).toBe('OnFailure');
    expect(initRestartPolicy(undefined, false)).toBe('OnFailure');
    expect(initRestartPolicy('Never', false)).toBe('Never');
    expect(initRestartPolicy('Never', true)).toBe('Always');
  });
  it('reads initContainers: order, sidecars, and rejects probes on plain init containers', () => {
    const pod = (init: string) => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
${init}
  containers: [{name: main}]`;
    const c = loadCluster([pod('    - {name: a, command: [sh]}\n    - {name: b, restartPolicy: Always}')]);
    expect(c.pods[0].initContainers?.map((x) => [x.name, x.restartPolicy])).toEqual([['a', undefined], ['b', 'Always']]);
    expect(() => loadCluster([pod('    - {name: a, readinessProbe: {tcpSocket: {port: 1}}}')])).toThrow(/spec\.initContainers\[0\]\.readinessProbe: init containers do not support probes/);
    expect(() => loadCluster([pod('    - {name: main}')])).toThrow(/spec\.initContainers\[0\]\.name: duplicate container name "main"/);
  });
});
