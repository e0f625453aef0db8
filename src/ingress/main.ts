#!/usr/bin/env node
/**
 * podnet's ingress controller as a pod (podnet-ingress/podnet-ingress-controller): HTTP on :80
 * and HTTPS on :443 for the lab's Ingresses of class podnet, following the lab's state file so
 * routes, endpoints and certificates change within a second of an apply.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { processLabFiles, readStateFile, type LabState } from '../lab/state.js';
import { selfSigned, type KeyPair } from './certs.js';
import { configFromState, summary } from './config.js';
import { IngressServer } from './server.js';

const log = (line: string) => process.stdout.write(`podnet ingress: ${line}\n`);

function envMs(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

const { stateFile } = processLabFiles('ingress');

let defaultCert: KeyPair;
try {
  defaultCert = selfSigned();
} catch (e) {
  process.stderr.write(`podnet ingress: ${(e as Error).message}\n`);
  process.exit(1);
}
const server = new IngressServer({
  address: '0.0.0.0',
  httpPort: envMs('PODNET_INGRESS_HTTP_PORT', 80),
  httpsPort: envMs('PODNET_INGRESS_HTTPS_PORT', 443),
  timeouts: { connectMs: envMs('PODNET_INGRESS_CONNECT_TIMEOUT_MS', 5_000), readMs: envMs('PODNET_INGRESS_READ_TIMEOUT_MS', 60_000) },
  defaultCert,
  log,
});

let logged = new Set<string>();
function reload(): void {
  try {
    const config = configFromState(readStateFile(stateFile).state);
    const lines = summary(config, server.update(config.routes, config.tls));
    for (const l of lines) if (!logged.has(l)) log(l);
    logged = new Set(lines);
  } catch (e) {
    log(`keeping the old routes: ${(e as Error).message}`);
  }
}

reload();
const ports = await server.listen();
log(`listening on :${ports.http} (HTTP) and :${ports.https} (HTTPS)`);
watchFile(stateFile, { interval: 200 }, reload);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    unwatchFile(stateFile);
    void server.close().finally(() => process.exit(0));
  });
}
