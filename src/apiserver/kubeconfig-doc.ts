/**
 * Kubeconfig documents (pure): a lab's standalone one, and merging a lab's context into a
 * user's kubeconfig and taking exactly that out again (cluster, user and context named
 * podnet-<lab>; the current-context it replaced is given back), as kind does.
 */

/** How the user authenticates: the lab's bearer token, or its admin client certificate. */
export type LabUser = { token: string } | { clientCert: string; clientKey: string };

export type LabEndpoint = { lab: string; server: string; caCert: string } & LabUser;

const b64 = (text: string) => Buffer.from(text).toString('base64');

function userOf(e: LabEndpoint): Record<string, string> {
  if ('clientCert' in e) return { 'client-certificate-data': b64(e.clientCert), 'client-key-data': b64(e.clientKey) };
  return { token: e.token };
}

type Named = { name: string; [k: string]: unknown };
export interface KubeconfigDoc { apiVersion?: string; kind?: string; clusters?: Named[]; users?: Named[]; contexts?: Named[]; 'current-context'?: string; preferences?: unknown; [k: string]: unknown }

export const contextName = (lab: string): string => `podnet-${lab}`;

function entries(e: LabEndpoint): { cluster: Named; user: Named; context: Named } {
  const name = contextName(e.lab);
  return {
    cluster: { name, cluster: { server: e.server, 'certificate-authority-data': b64(e.caCert) } },
    user: { name, user: userOf(e) },
    context: { name, context: { cluster: name, user: name } },
  };
}

export function standaloneKubeconfig(e: LabEndpoint): KubeconfigDoc {
  const { cluster, user, context } = entries(e);
  return { apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [cluster], users: [user], contexts: [context], 'current-context': context.name };
}

const upsert = (list: Named[] | undefined, item: Named): Named[] => [...(list ?? []).filter((x) => x.name !== item.name), item];

/** The document with the lab's entries added (replacing ones of the same name) and made current. */
export function mergeLab(doc: KubeconfigDoc, e: LabEndpoint): { doc: KubeconfigDoc; previousContext?: string } {
  const { cluster, user, context } = entries(e);
  const previous = doc['current-context'];
  return {
    doc: { apiVersion: 'v1', kind: 'Config', preferences: {}, ...doc, clusters: upsert(doc.clusters, cluster), users: upsert(doc.users, user), contexts: upsert(doc.contexts, context), 'current-context': context.name },
    ...(previous && previous !== context.name ? { previousContext: previous } : {}),
  };
}

/** The document without the lab's entries; its current context given back if it is still the lab's. */
export function removeLab(doc: KubeconfigDoc, lab: string, previousContext?: string): KubeconfigDoc {
  const name = contextName(lab);
  const out: KubeconfigDoc = { ...doc };
  for (const k of ['clusters', 'users', 'contexts'] as const) if (doc[k]) out[k] = doc[k]!.filter((x) => x.name !== name);
  if (doc['current-context'] === name) {
    const back = previousContext && out.contexts?.some((c) => c.name === previousContext) ? previousContext : '';
    out['current-context'] = back;
  }
  return out;
}
