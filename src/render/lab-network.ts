/**
 * Renders a lab's node network as a plan: the underlay namespace, one namespace per node joined to
 * it, and cross-node pod routing — static routes (host-gw style) or a VXLAN overlay (Flannel
 * style). Pods are attached to their node by routed veths (src/cni/ptp.ts), no bridge. Pure.
 *
 * The underlay is one L2 segment: each node's uplink `eth0` is a macvlan (bridge mode) on the
 * underlay end of the host's link. Node ↔ node frames are switched inside the macvlan driver (no
 * bridge, no second veth: measured 8–12% more cross-node TCP than a bridge with a veth per node,
 * docs/benchmarks.md "datapath"); frames for other MACs leave through the lower device to the
 * host. Deleting the underlay namespace deletes the lower device, and with it every uplink.
 */
import { formatIPv4, parseCidr } from '../model/ip.js';
import { ETHERNET_MTU, labNetnsPrefix, macFrom, netnsName, VXLAN_MTU, type LabConfig, type LabNode } from '../model/lab.js';
import { ipStep, type Plan, type PlanStep } from './plan.js';

export const NODE_UPLINK = 'eth0';
/** The underlay end of the host's link, lower device of every node's uplink. */
export const UNDERLAY_LOWER = 'host';
export const VXLAN_DEVICE = 'flannel.1';
export const VXLAN_ID = 1;
export const VXLAN_PORT = 8472;

/** The host's link into the lab: `pn-<lab>` in the root namespace (≤ 14 characters: names are ≤ 11). */
export function hostLink(lab: string): string {
  return `pn-${lab}`;
}

/** The host's address on the node network: its first address. */
export function hostAddress(nodeCidr: string): string {
  return formatIPv4(parseCidr(nodeCidr)!.start + 1);
}

export function underlayNetns(lab: string): string {
  return netnsName(lab, 'ul');
}

export function podMtu(mode: LabConfig['mode']): number {
  return mode === 'vxlan' ? VXLAN_MTU : ETHERNET_MTU;
}

export function renderLabNetwork(config: LabConfig, nodes: readonly LabNode[]): Plan {
  const ul = underlayNetns(config.name);
  const prefix = config.nodeCidr.split('/')[1];
  // The host is outside the cluster: it reaches nodes (NodePorts) and LoadBalancer IPs over its
  // own link into the underlay, and nothing else of the root namespace changes.
  const link = hostLink(config.name);
  const root = ipStep(null, [
    `netns add ${ul}`,
    ...nodes.map((n) => `netns add ${n.netns}`),
    `link add ${link} type veth peer name ${UNDERLAY_LOWER} netns ${ul}`,
    `addr add ${hostAddress(config.nodeCidr)}/${prefix} dev ${link}`,
    `link set ${link} up`,
    ...(config.lbCidr ? [`route add ${config.lbCidr} via ${nodes[0].ip} dev ${link}`] : []),
  ]);
  const underlay = ipStep(ul, [
    'link set lo up',
    `link set ${UNDERLAY_LOWER} up`,
    // Created straight in the node's namespace; the lower device stays here.
    ...nodes.map((n) => `link add ${NODE_UPLINK} link ${UNDERLAY_LOWER} netns ${n.netns} type macvlan mode bridge`),
  ]);
  const perNode: PlanStep[] = nodes.flatMap((n) => nodeSteps(config, n, nodes, prefix));
  // TX checksum offload stays on (the kernel's default) unless the config turns it off:
  // `ethtool -K flannel.1 tx-checksum-ip-generic off` is the workaround for source-NATed VXLAN
  // packets getting bad checksums (Kubernetes #88986, Calico #3145), a netfilter bug fixed in
  // Linux 5.7; labUp turns it off on older kernels (src/model/kernel.ts has the evidence). Off,
  // it also turns off TSO, so each 1398-byte segment is encapsulated on its own: about 0.13 of a
  // veth pair's TCP throughput instead of about 0.6 (docs/benchmarks.md, "datapath").
  const offload: PlanStep[] =
    config.mode === 'vxlan' && config.vxlanChecksumOffload === false
      ? nodes.map((n): PlanStep => ({ kind: 'exec', netns: n.netns, argv: ['ethtool', '-K', VXLAN_DEVICE, 'tx-checksum-ip-generic', 'off'] }))
      : [];
  const last = [...fdbSteps(config, nodes), ...offload];
  return last.length > 0 ? [[root], [underlay], perNode, last] : [[root], [underlay], perNode];
}

function nodeSteps(config: LabConfig, node: LabNode, nodes: readonly LabNode[], prefix: string): PlanStep[] {
  const mtu = podMtu(config.mode);
  const others = nodes.filter((o) => o !== node);
  const lines = [
    'link set lo up',
    `addr add ${node.ip}/${prefix} dev ${NODE_UPLINK}`,
    `link set ${NODE_UPLINK} up`,
    // Nodes have no default route (the lab is sealed off from the host's networks), so the
    // service CIDR is local: a packet to a Service address always reaches the proxy's hooks —
    // DNAT in prerouting/output, or a reject in filter-input when the Service has no endpoints.
    `route add local ${config.serviceCidr} dev lo`,
  ];
  if (config.mode === 'routed') {
    // host-gw: every other node's pod CIDR is reached through that node's underlay address.
    for (const o of others) lines.push(`route add ${o.podCidr} via ${o.ip} dev ${NODE_UPLINK}`);
  } else {
    // Flannel's VXLAN backend: a static FDB entry and neighbour per remote VTEP, no learning.
    lines.push(
      `link add ${VXLAN_DEVICE} address ${node.vtepMac} type vxlan id ${VXLAN_ID} local ${node.ip} dev ${NODE_UPLINK} dstport ${VXLAN_PORT} nolearning`,
      `link set ${VXLAN_DEVICE} mtu ${VXLAN_MTU}`,
      `addr add ${node.vtepIP}/32 dev ${VXLAN_DEVICE}`,
      `link set ${VXLAN_DEVICE} up`,
    );
    // `src`: the node's own traffic to remote pods comes from its node address (not the VTEP's),
    // as in routed mode: NetworkPolicy ipBlocks see nodes (and hostNetwork pods) by that address.
    for (const o of others) {
      lines.push(`neigh add ${o.vtepIP} lladdr ${o.vtepMac} dev ${VXLAN_DEVICE} nud permanent`, `route add ${o.podCidr} via ${o.vtepIP} dev ${VXLAN_DEVICE} onlink src ${node.ip}`);
    }
  }
  // icmp_ratelimit=0: NetworkPolicy refuses denied connections with ICMP admin-prohibited, and
  // the kernel's default (one such message per second per peer after a burst) would turn a
  // client's quick retries into one-second timeouts.
  // send_redirects=0: a pod reaching itself through a Service (hairpin) is routed back out of the
  // veth it came from; the node must not tell it to "go direct" with an ICMP redirect.
  const sysctls = ['net.ipv4.ip_forward=1', 'net.ipv4.icmp_ratelimit=0', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0'];
  return [ipStep(node.netns, lines), { kind: 'exec', netns: node.netns, argv: ['sysctl', '-q', '-w', ...sysctls] }];
}

/** VXLAN forwarding entries: one per remote VTEP (needs the device, so a later stage). */
function fdbSteps(config: LabConfig, nodes: readonly LabNode[]): PlanStep[] {
  if (config.mode !== 'vxlan') return [];
  return nodes.map((n) => ipStep(n.netns, nodes.filter((o) => o !== n).map((o) => `fdb append ${o.vtepMac} dev ${VXLAN_DEVICE} dst ${o.ip}`), 'bridge'));
}

/**
 * Deleting the namespaces deletes every link, route and address inside them — and the host link,
 * whose peer lives in the underlay namespace (with it go its address and routes).
 */
export function renderLabTeardown(lab: string, netnsNames: readonly string[]): Plan {
  const all = [...new Set(netnsNames)].filter((n) => n.startsWith(labNetnsPrefix(lab)));
  return all.length === 0 ? [] : [[ipStep(null, all.map((n) => `netns del ${n}`))]];
}
