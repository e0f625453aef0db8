/**
 * Certificates of the HTTPS listener: one TLS context per usable Secret, chosen by SNI, and a
 * default certificate for names no Ingress covers — a self-signed one generated at start with
 * the openssl CLI (P-256, one year), as ingress-nginx serves its "Fake Certificate".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { secretForServerName, type TlsTable } from './tls-hosts.js';

export interface KeyPair {
  cert: string;
  key: string;
}

export const DEFAULT_CERT_CN = 'podnet ingress default certificate';

/** A fresh self-signed certificate; throws with openssl's message when it cannot be made. */
export function selfSigned(commonName = DEFAULT_CERT_CN): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-ingress-cert-'));
  try {
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '365', '-subj', `/O=podnet/CN=${commonName}`, '-keyout', key, '-out', cert], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`cannot generate the default certificate with openssl: ${stderr || (e as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The contexts for a TLS table; Secrets whose PEM does not load are left out, with why. */
export class CertStore {
  private contexts = new Map<string, tls.SecureContext>();
  private table: TlsTable | undefined;
  private readonly fallback: tls.SecureContext;

  constructor(readonly defaultPair: KeyPair) {
    this.fallback = tls.createSecureContext(defaultPair);
  }

  /** Swaps in a new table; returns problems (Secrets that could not be used). */
  update(table: TlsTable): string[] {
    const problems: string[] = [];
    const next = new Map<string, tls.SecureContext>();
    for (const [key, pair] of table.pairs) {
      try {
        next.set(key, tls.createSecureContext(pair));
      } catch (e) {
        // OpenSSL's reason (e.g. "PEM routines::no start line") names no key material.
        problems.push(`secret ${key}: tls.crt/tls.key cannot be used: ${(e as Error).message}`);
      }
    }
    this.contexts = next;
    this.table = table;
    return problems;
  }

  /** The context for a server name (or for a client that sent none). */
  contextFor(serverName: string | undefined): tls.SecureContext {
    const key = this.table ? secretForServerName(this.table, serverName) : undefined;
    return (key !== undefined ? this.contexts.get(key) : undefined) ?? this.fallback;
  }

  /** The certificate for clients that send no server name: a hosts-less tls entry's, else the default. */
  noSniPair(): KeyPair {
    const key = this.table?.fallback;
    const pair = key !== undefined && this.contexts.has(key) ? this.table?.pairs.get(key) : undefined;
    return pair ?? this.defaultPair;
  }

  /** For https.createServer: picks the certificate by SNI on every handshake. */
  readonly sniCallback = (serverName: string, done: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    done(null, this.contextFor(serverName));
  };
}
