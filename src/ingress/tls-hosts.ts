/**
 * Which certificate answers which TLS server name (pure): the `spec.tls` entries of the Ingresses
 * podnet serves, each naming hosts and a `kubernetes.io/tls` Secret in the Ingress's namespace.
 */
import { TLS_SECRET_TYPE, tlsPair } from '../api/kinds/secret.js';
import type { Ingress, Secret } from '../model/types.js';

export interface TlsTable {
  /** server name → "ns/secret" */
  exact: Map<string, string>;
  /** "*.example.com" entries keyed by "example.com" → "ns/secret" */
  wildcard: Map<string, string>;
  /** An entry without hosts: "Defaults to the wildcard host setting for the loadbalancer". */
  fallback?: string;
  /** "ns/secret" → PEM certificate chain and key (only usable Secrets are listed). */
  pairs: Map<string, { cert: string; key: string }>;
  /** Entries that cannot be served, with why (the controller logs them). */
  problems: string[];
}

/** Input order decides conflicts: the first (oldest) Ingress naming a host keeps it. */
export function buildTlsTable(ingresses: readonly Ingress[], secrets: readonly Secret[]): TlsTable {
  const table: TlsTable = { exact: new Map(), wildcard: new Map(), pairs: new Map(), problems: [] };
  const byKey = new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const ing of ingresses) {
    ing.tls.forEach((entry, i) => {
      const where = `ingress ${ing.namespace}/${ing.name}: spec.tls[${i}]`;
      // "Field is left optional to allow TLS routing based on SNI hostname alone": nothing to serve.
      if (!entry.secretName) return void table.problems.push(`${where}: no secretName: the default certificate answers`);
      const key = `${ing.namespace}/${entry.secretName}`;
      const secret = byKey.get(key);
      const pair = secret ? tlsPair(secret) : undefined;
      if (!secret) return void table.problems.push(`${where}: secret ${key} does not exist`);
      if (!pair) return void table.problems.push(`${where}: secret ${key} is not of type ${TLS_SECRET_TYPE} with tls.crt and tls.key`);
      table.pairs.set(key, pair);
      if (entry.hosts.length === 0) table.fallback ??= key;
      for (const h of entry.hosts.map((x) => x.toLowerCase())) {
        const map = h.startsWith('*.') ? table.wildcard : table.exact;
        const name = h.startsWith('*.') ? h.slice(2) : h;
        if (!map.has(name)) map.set(name, key);
      }
    });
  }
  return table;
}

/** The Secret for a client's SNI name: exact host, then a one-label wildcard, then the fallback. */
export function secretForServerName(table: TlsTable, serverName: string | undefined): string | undefined {
  const name = (serverName ?? '').toLowerCase().replace(/\.$/, '');
  const exact = table.exact.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  return (dot > 0 ? table.wildcard.get(name.slice(dot + 1)) : undefined) ?? table.fallback;
}
