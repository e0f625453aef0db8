/**
 * `kubectl port-forward` through the lab's Kubernetes API: portforward.k8s.io on SPDY/3.1, both
 * tunnelled in a WebSocket (kubectl's default) and by a plain SPDY upgrade (kubectl's fallback,
 * KUBECTL_PORT_FORWARD_WEBSOCKETS=false); to a pod, through a Deployment, and a port nothing
 * listens on. Traffic goes to 127.0.0.1 only (kubectl's local end) and from there into the
 * lab's pod. Needs root and kubectl; unique lab (prefix kpfw), cleaned up on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, TestLab, until } from './helpers.js';

const T = 180_000;

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('kubectl port-forward through the lab\'s Kubernetes API (root, real pods)', () => {
  const lab = new TestLab('kpfw');
  const running: ChildProcess[] = [];
  const kubectl = kubectlFor(lab, 90_000);

  /** Starts `kubectl port-forward ARGS` and resolves the local port once it says it forwards. */
  async function portForward(args: string[], env: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
    const child = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'port-forward', '--address', '127.0.0.1', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const port = await until(`kubectl port-forward ${args.join(' ')} to listen (stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)})`, () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      return m ? Number(m[1]) : child.exitCode !== null ? Promise.reject(new Error(`kubectl exited ${child.exitCode}: ${err}`)) : null;
    });
    return { port, child, stderr: () => err };
  }

  beforeAll(async () => {
    await lab.up(['-f', fixture('apply-base.yaml')]);
  }, T);

  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  for (const [transport, env] of [['WebSocket tunnel (default)', {}], ['SPDY upgrade (fallback)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]] as const) {
    it(`${transport}: a pod's port answers on the local one, connections in parallel and in turn`, async () => {
      const pf = await portForward(['pod/solo', ':8080'], env);
      const answers = await Promise.all([get(pf.port, '/a'), get(pf.port, '/b'), get(pf.port, '/c')]);
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(JSON.parse(a.body)).toMatchObject({ pod: 'solo', namespace: 'default' });
      }
      for (let i = 0; i < 5; i++) expect((await get(pf.port)).status).toBe(200);
      expect(pf.stderr()).not.toMatch(/error/i);
      pf.child.kill('SIGINT');
    }, T);
  }

  it('through a Deployment: kubectl picks one of its pods', async () => {
    const pf = await portForward(['deployment/alpha', ':8080']);
    const a = await get(pf.port);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).pod).toMatch(/^alpha-/);
    pf.child.kill('SIGINT');
  }, T);

  it('megabytes both ways to a server bound to the pod\'s 127.0.0.1 only (as kubelet, localhost in the pod), and a half-close', async () => {
    const echo = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'echo', namespace: 'default' }, spec: { containers: [{ name: 'echo', image: 'x', command: ['node', '-e', "require('net').createServer({allowHalfOpen:true},(s)=>s.pipe(s)).listen(7000,'127.0.0.1')"] }] } };
    const applied = kubectl(['apply', '-f', '-'], JSON.stringify(echo));
    expect(applied.status, applied.stderr).toBe(0);
    const ready = kubectl(['wait', '--for=condition=Ready', 'pod/echo', '--timeout=60s']);
    expect(ready.status, ready.stderr).toBe(0);
    const pf = await portForward(['pod/echo', ':7000']);
    const sent = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7919) & 0xff;
    const got = await until('the echo to connect', () => new Promise<Buffer | null>((resolve) => {
      const s = net.connect(pf.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', () => resolve(null));
      s.end(sent); // half-close: the echo ends its side once it has sent everything back
    }), 60_000);
    expect(got.length).toBe(sent.length);
    expect(got.equals(sent)).toBe(true);
    pf.child.kill('SIGINT');
  }, T);

  it('a port nothing listens on: the local connection closes and kubectl names the error', async () => {
    const pf = await portForward(['pod/solo', ':9']);
    const closed = await new Promise<string>((resolve) => {
      const s = net.connect(pf.port, '127.0.0.1');
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => {});
    });
    expect(closed).toBe('');
    await until('kubectl to report the error', () => /error forwarding port 9 to pod solo/.test(pf.stderr()) || null);
    expect(pf.stderr()).toMatch(/connection refused/);
    pf.child.kill('SIGINT');
  }, T);

  it('the errors before an upgrade are Statuses: no such pod (404), no upgrade asked for (400)', async () => {
    const r = kubectl(['port-forward', 'pod/nope', ':8080']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/pods "nope" not found/);
    const raw = kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/solo/portforward', '-f', '-'], '{}');
    expect(raw.status).not.toBe(0);
    expect(raw.stderr).toMatch(/Upgrade request required/);
    // Discovery names the subresource, as a cluster's /api/v1 does.
    const v1 = JSON.parse(kubectl(['get', '--raw', '/api/v1']).stdout) as { resources: { name: string; verbs: string[] }[] };
    expect(v1.resources.find((r) => r.name === 'pods/portforward')?.verbs).toEqual(['create', 'get']);
  }, T);
});
