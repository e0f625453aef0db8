/**
 * The pod annotation `k8s.v1.cni.cncf.io/networks` (NPWG multi-net spec, as Multus reads it):
 * either a comma list of `name`, `namespace/name` or `name@ifname`, or a JSON list of network
 * selection elements. Pure: parsing, interface names and namespace resolution.
 */
import { parseCidr, parseIPv4 } from './ip.js';

export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';

/** One network selection element (multi-net spec §4.1.2), its namespace not yet defaulted. */
export interface NetworkSelection {
  name: string;
  namespace?: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  /** Gateways for the pod's default route through this attachment ("default-route"). */
  defaultRoute?: string[];
  /** Merged into the delegate's config as `args.cni` ("cni-args"). */
  cniArgs?: Record<string, unknown>;
}

// Multus checks each name against the DNS-1123 label format; "Valid attachment names must be
// comprised of units of the DNS-1123 label format".
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
/** Linux IFNAMSIZ is 16 with the terminating NUL. */
const IFNAME_MAX = 15;

/** Parses the annotation; every problem is reported (an empty result when there is any). */
export function parseNetworkSelections(text: string): { selections: NetworkSelection[]; errors: string[] } {
  const trimmed = text.trim();
  if (trimmed === '') return { selections: [], errors: [] };
  // Multus takes the JSON form when the value contains any of `[`, `{` or `"`.
  const selections = /[[{"]/.test(trimmed) ? parseJsonForm(trimmed) : parseCommaForm(trimmed);
  if (typeof selections === 'string') return { selections: [], errors: [selections] };
  const errors = selections.flatMap((s, i) => check(s, i));
  const names = interfaceNames(selections);
  names.forEach((n, i) => {
    if (n === 'eth0') errors.push(`element ${i}: interface eth0 is the pod's cluster network interface`);
    else if (names.indexOf(n) !== i) errors.push(`element ${i}: interface ${n} is requested twice`);
  });
  return errors.length > 0 ? { selections: [], errors } : { selections, errors };
}

function parseCommaForm(text: string): NetworkSelection[] | string {
  const out: NetworkSelection[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const slash = item.split('/');
    if (slash.length > 2) return `${JSON.stringify(item)}: more than one '/' (the form is namespace/name@interface)`;
    const [namespace, rest] = slash.length === 2 ? [slash[0].trim(), slash[1]] : [undefined, slash[0]];
    const at = rest.split('@');
    if (at.length > 2) return `${JSON.stringify(item)}: more than one '@' (the form is namespace/name@interface)`;
    const name = at[0].trim();
    const ifname = at.length === 2 ? at[1].trim() : undefined;
    out.push({ name, ...(namespace ? { namespace } : {}), ...(ifname ? { interface: ifname } : {}) });
  }
  return out;
}

function parseJsonForm(text: string): NetworkSelection[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
  if (!Array.isArray(value)) return 'the JSON form must be a list of network selection elements';
  const out: NetworkSelection[] = [];
  for (const [i, el] of value.entries()) {
    if (typeof el !== 'object' || el === null || Array.isArray(el)) return `element ${i}: must be an object`;
    const o = el as Record<string, unknown>;
    const str = (k: string) => (o[k] === undefined ? undefined : typeof o[k] === 'string' ? (o[k] as string) : null);
    const list = (k: string) => (o[k] === undefined ? undefined : Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string') ? (o[k] as string[]) : null);
    const fields = { name: str('name'), namespace: str('namespace'), interface: str('interface'), mac: str('mac'), ips: list('ips'), defaultRoute: list('default-route') };
    const wrong = Object.entries(fields).find(([, v]) => v === null);
    if (wrong) return `element ${i}: ${wrong[0] === 'defaultRoute' ? 'default-route' : wrong[0]} must be a ${['ips', 'defaultRoute'].includes(wrong[0]) ? 'list of strings' : 'string'}`;
    const cniArgs = o['cni-args'];
    if (cniArgs !== undefined && (typeof cniArgs !== 'object' || cniArgs === null || Array.isArray(cniArgs))) return `element ${i}: cni-args must be an object`;
    if (fields.name === undefined) return `element ${i}: name is required`;
    const s: NetworkSelection = { name: fields.name! };
    if (fields.namespace) s.namespace = fields.namespace;
    if (fields.interface) s.interface = fields.interface;
    if (fields.ips) s.ips = fields.ips;
    if (fields.mac) s.mac = fields.mac;
    if (fields.defaultRoute) s.defaultRoute = fields.defaultRoute;
    if (cniArgs !== undefined) s.cniArgs = cniArgs as Record<string, unknown>;
    out.push(s);
  }
  return out;
}

function check(s: NetworkSelection, i: number): string[] {
  const errors: string[] = [];
  const at = `element ${i} (${JSON.stringify(s.name)})`;
  if (!DNS_LABEL.test(s.name)) errors.push(`${at}: network name must be a DNS-1123 label (lowercase letters, digits, '-')`);
  if (s.namespace !== undefined && !DNS_LABEL.test(s.namespace)) errors.push(`${at}: namespace ${JSON.stringify(s.namespace)} must be a DNS-1123 label`);
  if (s.interface !== undefined && (s.interface.length > IFNAME_MAX || /[\s/]/.test(s.interface) || s.interface === '.' || s.interface === '..')) {
    errors.push(`${at}: interface ${JSON.stringify(s.interface)} must be at most ${IFNAME_MAX} characters without '/' or spaces`);
  }
  if (s.mac !== undefined && !MAC.test(s.mac)) errors.push(`${at}: mac ${JSON.stringify(s.mac)} is not a MAC address`);
  for (const ip of s.ips ?? []) if (!(ip.includes('/') ? parseCidr(ip) : parseIPv4(ip) !== null)) errors.push(`${at}: ips: ${JSON.stringify(ip)} is not an IPv4 address or CIDR`);
  for (const gw of s.defaultRoute ?? []) if (parseIPv4(gw) === null) errors.push(`${at}: default-route: ${JSON.stringify(gw)} is not an IPv4 address`);
  return errors;
}

/**
 * Each attachment's interface: the requested one, else `net<i>` with i its position counting
 * from 1 (Multus names delegate i "net%d" by its index; the cluster network is index 0, eth0).
 */
export function interfaceNames(selections: readonly NetworkSelection[]): string[] {
  return selections.map((s, i) => s.interface ?? `net${i + 1}`);
}

/** Multus: an element without a namespace refers to a NetworkAttachmentDefinition in the pod's namespace. */
export function selectionNamespace(s: NetworkSelection, podNamespace: string): string {
  return s.namespace ?? podNamespace;
}
