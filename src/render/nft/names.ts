/**
 * Every name in podnet's nftables table: the fixed chains, maps and priorities as constants, and
 * the helpers that make the names of the shared chains and endpoint maps (`sharedName`) and of
 * per-service and per-endpoint chains and sets (`derivedName`). Pure.
 */

/** The Services table of every node (kube-proxy's is "kube-proxy"). */
export const PROXY_TABLE = 'podnet';

/** Base chains are named "${type}-${hook}", as in kube-proxy. Priorities are numeric on purpose:
 *  nft only accepts the symbolic `dstnat` in prerouting, but we need it in output too. */
export const PRIORITY_DSTNAT = -100;
export const PRIORITY_SRCNAT = 100;
/** Our filter chains run before DNAT so they see the Service address, not the endpoint's. */
export const PRIORITY_FILTER = PRIORITY_DSTNAT - 10;

export const FILTER_INPUT = 'filter-input';
export const FILTER_FORWARD = 'filter-forward';
export const FILTER_OUTPUT = 'filter-output';
export const NAT_PREROUTING = 'nat-prerouting';
export const NAT_OUTPUT = 'nat-output';
export const NAT_POSTROUTING = 'nat-postrouting';

/** Service dispatch: one lookup per packet, whatever the number of Services. */
export const SERVICES_CHAIN = 'services';
export const SERVICE_IPS_MAP = 'service-ips';
export const SERVICE_NODEPORTS_MAP = 'service-nodeports';
/** (endpoint IP . endpoint IP) for every endpoint: a DNAT'd packet whose source is its new
 *  destination (hairpin) is marked for masquerade in nat-postrouting. Shared between Services. */
export const HAIRPIN_SET = 'hairpin-endpoints';

/**
 * Endpoints are map elements, one map per endpoint INDEX and role: element i of a service port
 * (its endpoints in address order) is `key : endpoint address . port` in map `<role>-<i>`, where
 * key is address . protocol . port (the address the packet was sent to), or protocol . port for
 * NodePorts (any local address). A shared pick chain per endpoint count K draws among maps
 * 0…K-1 with kube-proxy's uniform cascade (`numgen random mod K-i == 0` → index i) and DNATs
 * through one lookup. Named types only: nft 1.0.6 cannot re-read a `typeof … : ip daddr . th
 * dport` map from the kernel to add a rule in a later run ("conflicting protocols"), and
 * constants are not allowed in lookup keys, so the index is in the map's name, not its key.
 *  - service: ClusterIP → the internal policy's endpoints; LoadBalancer IP → all endpoints.
 *  - local: LoadBalancer IP → this node's endpoints (externalTrafficPolicy Local).
 *  - nodeport / nodeport-local: the same two for NodePorts.
 */
export const ENDPOINT_ROLES = {
  service: { maps: 'service-endpoints', pick: 'pick', key: 'ip daddr . meta l4proto . th dport', type: 'ipv4_addr . inet_proto . inet_service' },
  local: { maps: 'local-endpoints', pick: 'pick-local', key: 'ip daddr . meta l4proto . th dport', type: 'ipv4_addr . inet_proto . inet_service' },
  nodeport: { maps: 'nodeport-endpoints', pick: 'pick-nodeport', key: 'meta l4proto . th dport', type: 'inet_proto . inet_service' },
  nodeportLocal: { maps: 'nodeport-local-endpoints', pick: 'pick-nodeport-local', key: 'meta l4proto . th dport', type: 'inet_proto . inet_service' },
} as const;
export type EndpointRole = keyof typeof ENDPOINT_ROLES;
/** The value of every endpoint map element. */
export const ENDPOINT_VALUE_TYPE = 'ipv4_addr . inet_service';

/** ClusterIPs of Services rendered with per-service chains (ClientIP affinity, or every Service
 *  with the 'rules'/'vmap' shapes): service-ips sends them to this chain, which masquerades
 *  sources outside the pod network and dispatches on the second map. */
export const CLUSTERIP_CHAIN = 'clusterip-chain';
export const CLUSTERIP_CHAINS_MAP = 'clusterip-chains';

/** Services without (usable) endpoints: rejected or dropped in the filter hooks. */
export const ENDPOINTS_CHECK_CHAIN = 'endpoints-check';
export const NO_ENDPOINT_SERVICES_MAP = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS_MAP = 'no-endpoint-nodeports';
export const REJECT_CHAIN = 'reject-chain';

/** Masquerading: mark in nat prerouting/output, masquerade in postrouting. */
export const MARK_MASQ_CHAIN = 'mark-for-masquerade';
export const MASQUERADING_CHAIN = 'masquerading';
/** kube-proxy's default masquerade bit (--masquerade-bit=14). */
export const MASQ_MARK = '0x4000';

/** The map key types. */
export const ADDR_PROTO_PORT = 'ipv4_addr . inet_proto . inet_service';
export const PROTO_PORT = 'inet_proto . inet_service';
export const ADDR_ADDR = 'ipv4_addr . ipv4_addr';

/**
 * Shared chains and maps, one per shape, named by endpoint counts (K: the endpoints DNAT picks
 * from; L: this node's endpoints, for externalTrafficPolicy Local). A policy chain (masquerade
 * decisions) goes to a pick chain (`pick-K`: the cascade over the role's maps 0…K-1). Created
 * with their first user, deleted with their last: a table holds a handful whatever the number
 * of Services.
 */
export const sharedName = {
  /** ClusterIP (either internal policy): masquerade from outside the pod network, pick. */
  clusterIP: (k: number) => `clusterip-${k}`,
  /** LoadBalancer IP, eTP Cluster: masquerade, pick among all endpoints. */
  external: (k: number) => `external-${k}`,
  /** LoadBalancer IP, eTP Local: pods and the node short-circuit to all K, others get the L local. */
  externalLocal: (k: number, l: number) => `external-local-${k}-${l}`,
  nodePort: (k: number) => `nodeport-${k}`,
  nodePortLocal: (k: number, l: number) => `nodeport-local-${k}-${l}`,
  pick: (role: EndpointRole, k: number) => `${ENDPOINT_ROLES[role].pick}-${k}`,
  endpointMap: (role: EndpointRole, i: number) => `${ENDPOINT_ROLES[role].maps}-${i}`,
};

/** Prefixes of derived names (each ≤ PREFIX_MAX characters, trailing hyphen included), for the
 *  per-service shape (ClientIP affinity; see proxy/nft/chains.ts). */
export const SERVICE_CHAIN_PREFIX = 'svc-'; // a service port's endpoints (Cluster policy)
export const LOCAL_CHAIN_PREFIX = 'svl-'; // a service port's endpoints on this node (Local policy)
export const EXTERNAL_CHAIN_PREFIX = 'ext-'; // NodePort / LoadBalancer traffic of a service port
export const ENDPOINT_CHAIN_PREFIX = 'sep-'; // one endpoint: DNAT
export const AFFINITY_SET_PREFIX = 'aff-'; // one endpoint's ClientIP affinity set
export type NamePrefix = typeof SERVICE_CHAIN_PREFIX | typeof LOCAL_CHAIN_PREFIX | typeof EXTERNAL_CHAIN_PREFIX | typeof ENDPOINT_CHAIN_PREFIX | typeof AFFINITY_SET_PREFIX;

/** The kernel's limit: NFT_NAME_MAXLEN is 256 bytes including the NUL (nf_tables.h), for tables,
 *  chains, sets and maps alike, so 255 characters. */
export const NFT_NAME_LIMIT = 255;
/** Our own, lower cap: keeps `nft list` lines readable and the 10,000-Service script small. */
export const NAME_MAX = 64;
const PREFIX_MAX = 4;
const HASH_CHARS = 8;

/**
 * The name of a per-service or per-endpoint object: `${prefix}${HASH}-${readable}`, e.g.
 * `sep-K3QZ2NPA-default/web/tcp/http__10.244.1.5/8080`.
 *
 * Length: prefix ≤ PREFIX_MAX (4, a NamePrefix literal), hash exactly HASH_CHARS (8), one
 * hyphen, and the readable part cut to NAME_MAX − 4 − 8 − 1 = 51 characters (its last three
 * then become "..."), so every name is ≤ NAME_MAX = 64 < NFT_NAME_LIMIT = 255.
 *
 * Validity: nft identifiers are [A-Za-z_.][A-Za-z0-9_./-]*; the prefix starts with a letter and
 * every other character of `readable` is mapped into [A-Za-z0-9_./-] (IPv6 colons become dots).
 *
 * Stability and uniqueness: the hash is computed over the FULL readable text (namespace, name,
 * protocol, port, endpoint address — never an index or a count), so the same Service port or
 * endpoint gets the same name in every sync, and two identities whose truncated texts coincide
 * still differ in their 40-bit hash. Untruncated names contain the whole identity.
 */
export function derivedName(prefix: NamePrefix, readable: string): string {
  const safe = readable.replace(/:/g, '.').replace(/[^A-Za-z0-9_./-]/g, '_');
  const room = NAME_MAX - PREFIX_MAX - HASH_CHARS - 1;
  const body = safe.length > room ? `${safe.slice(0, room - 3)}...` : safe;
  return `${prefix}${hash40(readable)}-${body}`;
}

/** "ns/name/proto/port": the readable identity of one service port. */
export function servicePortId(serviceKey: string, protocol: string, portName: string, port: number): string {
  return `${serviceKey}/${protocol.toLowerCase()}/${portName === '' ? String(port) : portName}`;
}

/** "ns/name/proto/port__ip/port": the readable identity of one endpoint of one service port. */
export function endpointId(portId: string, ip: string, port: number): string {
  return `${portId}__${ip}/${port}`;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 40 bits of a 64-bit string hash (two multiply-xorshift lanes, cyrb53-style), base32. */
function hash40(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  // 32 bits of h1 and 8 bits of h2, five bits per character.
  let out = '';
  let bits = h1 >>> 0;
  for (let i = 0; i < 6; i++) {
    out += BASE32[bits & 31];
    bits >>>= 5;
  }
  const rest = (bits & 3) | ((h2 & 0xff) << 2); // 2 bits left of h1 + 8 of h2 = 10 bits
  return out + BASE32[rest & 31] + BASE32[(rest >>> 5) & 31];
}
