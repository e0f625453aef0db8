// Authentication of the lab's API server over real HTTPS (no root): a bearer token or a client
// certificate the lab's CA signed; anything else 401. And the kubeconfig a client certificate makes.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCredentials, type ApiCredentials } from '../../src/apiserver/certs.js';
import { standaloneKubeconfig } from '../../src/apiserver/kubeconfig-doc.js';
import { createApiServer } from '../../src/apiserver/server.js';
import { Store } from '../../src/apiserver/store.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-api-auth-'));
let lab: ApiCredentials;
let other: ApiCredentials;
const servers: { port: number; close: () => void }[] = [];

function serve(clientCA?: string): Promise<number> {
  const server = createApiServer({ cert: lab.cert, key: lab.key, clientCA, token: lab.token, store: new Store() });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      servers.push({ port, close: () => server.close() });
      resolve(port);
    }),
  );
}

function get(port: number, auth: { token?: string; cert?: string; key?: string }): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers = auth.token ? { authorization: `Bearer ${auth.token}` } : {};
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/configmaps', ca: lab.caCert, cert: auth.cert, key: auth.key, headers, agent: false }, (res) => {
      let out = '';
      res.on('data', (d: Buffer) => (out += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(out) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

let withCA = 0;
let tokenOnly = 0;
beforeAll(async () => {
  lab = ensureCredentials(join(dir, 'lab'));
  other = ensureCredentials(join(dir, 'other'));
  withCA = await serve(lab.caCert);
  tokenOnly = await serve();
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('API authentication', () => {
  it('the lab admin certificate is CN=podnet-admin in O=system:masters, made once', async () => {
    const { X509Certificate } = await import('node:crypto');
    const x = new X509Certificate(lab.clientCert);
    expect(x.subject.split('\n').sort()).toEqual(['CN=podnet-admin', 'O=system:masters']);
    expect(x.checkIssued(new X509Certificate(lab.caCert))).toBe(true);
    expect(ensureCredentials(join(dir, 'lab')).clientCert).toBe(lab.clientCert);
  });

  it('no credentials: 401 Status', async () => {
    const r = await get(withCA, {});
    expect(r.code).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('the bearer token, or the lab CA\'s client certificate: 200', async () => {
    expect((await get(withCA, { token: lab.token })).code).toBe(200);
    const r = await get(withCA, { cert: lab.clientCert, key: lab.clientKey });
    expect(r.code).toBe(200);
    expect(r.body).toMatchObject({ kind: 'ConfigMapList' });
  });

  it('a certificate another CA signed is no identity (401); with a valid token beside it, the token counts', async () => {
    expect((await get(withCA, { cert: other.clientCert, key: other.clientKey })).code).toBe(401);
    expect((await get(withCA, { cert: other.clientCert, key: other.clientKey, token: lab.token })).code).toBe(200);
    expect((await get(withCA, { token: other.token })).code).toBe(401);
  });

  it('a server without a client CA takes tokens only', async () => {
    expect((await get(tokenOnly, { cert: lab.clientCert, key: lab.clientKey })).code).toBe(401);
    expect((await get(tokenOnly, { token: lab.token })).code).toBe(200);
  });

  it('the kubeconfig of a client certificate carries certificate and key, no token', () => {
    const doc = standaloneKubeconfig({ lab: 'l', server: 'https://127.0.0.1:6443', caCert: 'CA', clientCert: 'CERT', clientKey: 'KEY' });
    expect(doc.users).toEqual([{ name: 'podnet-l', user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') } }]);
    expect(standaloneKubeconfig({ lab: 'l', server: 's', caCert: 'CA', token: 't' }).users).toEqual([{ name: 'podnet-l', user: { token: 't' } }]);
  });
});
