/** `podnet ui`'s server on loopback: the page, JSON endpoints, the guards, server-sent events. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed, startUiServer, type UiServer } from '../../src/ui/server.js';
import type { UiSource } from '../../src/ui/sources.js';
import { world } from './trace-fixture.js';

const FLOW = { time: '2026-01-01T00:00:00.000Z', node: 'node-2', src: { ip: '10.244.0.2', pod: 'default/client' }, dst: { ip: '10.244.1.3', pod: 'default/db' }, protocol: 'TCP', port: 5432, verdict: 'denied', direction: 'ingress', policies: ['default/db-from-api'] };

function raw(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ui server', () => {
  let dir: string;
  let server: UiServer;
  let changed: () => void = () => {};
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-ui-'));
    writeFileSync(join(dir, 'flows.jsonl'), `${JSON.stringify(FLOW)}\n`);
    const w = world();
    const source: UiSource = { lab: 'demo', context: () => ({ world: w, ready: () => true, lab: 'demo' }), onChange: (l) => (changed = l), probe: null, flowsPath: join(dir, 'flows.jsonl'), close: () => {} };
    server = await startUiServer(source, { bundle: 'window.bundled = "</script>";' });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and serves the page with the bundle and the boot data', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await raw(server.url);
    expect(r.status).toBe(200);
    expect(r.body).toContain('window.bundled = "<\\/script>"');
    expect(r.body).toContain('"kind":"live","lab":"demo","probes":false,"flows":true');
  });

  it('answers the JSON endpoints, 404 for others', async () => {
    const t = await raw(`${server.url}api/topology`);
    expect(t.status).toBe(200);
    expect(JSON.parse(t.body).lab).toBe('demo');
    expect((await raw(`${server.url}api/matrix?port=x`)).status).toBe(400);
    expect((await raw(`${server.url}api/nope`)).status).toBe(404);
  });

  it('refuses other Host names (DNS rebinding) and probes without the X-Podnet header', async () => {
    const port = new URL(server.url).port;
    expect(hostAllowed(`localhost:${port}`, Number(port))).toBe(true);
    expect(hostAllowed(`evil.example:${port}`, Number(port))).toBe(false);
    expect((await raw(`${server.url}api/topology`, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    expect((await raw(`${server.url}api/probe?port=80`, { method: 'POST' })).status).toBe(403);
    const noProbe = await raw(`${server.url}api/probe?port=80`, { method: 'POST', headers: { 'x-podnet': '1' } });
    expect(noProbe.status).toBe(501);
  });

  it('streams flows (history first, then new lines) and lab changes as server-sent events', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}api/events`, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8').on('data', (d: string) => {
          events.push(d);
          const all = events.join('');
          if (all.includes('event: hello') && (all.match(/event: flows/g) ?? []).length === 1 && !all.includes('event: changed')) {
            appendFileSync(join(dir, 'flows.jsonl'), `${JSON.stringify({ ...FLOW, port: 5433 })}\n`);
            changed();
          }
          if ((all.match(/event: flows/g) ?? []).length >= 2 && all.includes('event: changed')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (e.message.includes('aborted') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      req.end();
    });
    await done;
    const all = events.join('');
    const batches = [...all.matchAll(/event: flows\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]) as { port: number }[]);
    expect(batches[0].map((f) => f.port)).toEqual([5432]);
    expect(batches[1].map((f) => f.port)).toEqual([5433]);
    expect(all).toMatch(/event: changed\ndata: 1\n/);
  });
});
