/**
 * Renders a lab's node network as a plan: the underlay namespace with a bridge, one namespace per
 * node joined to it, each node's pod bridge, and cross-node pod routing — static routes
 * (host-gw style) or a VXLAN overlay (Flannel style). Pure.
 */
import { formatIPv4, parseCidr } from '../model/ip.js';
import { ETHERNET_MTU, labNetnsPrefix, macFrom, netnsName, VXLAN_MTU, type LabConfig, type LabNode } from '../model/lab.js';
import { ipStep, type Plan, type PlanStep } from './plan.js';

export const UNDERLAY_BRIDGE = 'ul0';
export const NODE_UPLINK = 'eth0';
export const POD_BRIDGE = 'cni0';
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
    `link add ${link} type veth peer name host netns ${ul}`,
    `addr add ${hostAddress(config.nodeCidr)}/${prefix} dev ${link}`,
    `link set ${link} up`,
    ...(config.lbCidr ? [`route add ${config.lbCidr} via ${nodes[0].ip} dev ${link}`] : []),
  ]);
  const underlay = ipStep(ul, [
    'link set lo up',
    // Bridges get a fixed MAC: otherwise a bridge takes its lowest port's, and changes it (cutting
    // every neighbour's cached gateway MAC) when that port goes.
    `link add ${UNDERLAY_BRIDGE} address ${macFrom(`ul0/${config.name}`)} type bridge`,
    `link set ${UNDERLAY_BRIDGE} up`,
    `link set host master ${UNDERLAY_BRIDGE} up`,
    ...nodes.flatMap((n) => [
      `link add u${n.index} type veth peer name ${NODE_UPLINK} netns ${n.netns}`,
      `link set u${n.index} master ${UNDERLAY_BRIDGE} up`,
    ]),
  ]);
  const perNode: PlanStep[] = nodes.flatMap((n) => nodeSteps(config, n, nodes, prefix));
  // Flannel style: TX checksum offload off on the VXLAN device (`ethtool -K flannel.1
  // tx-checksum-ip-generic off`, the workaround for NATed VXLAN packets getting bad checksums,
  // a netfilter bug fixed in Linux 5.7). It also turns off TSO, so each 1398-byte segment is
  // encapsulated on its own: about 0.14 of a veth pair's TCP throughput instead of about 0.6
  // (docs/benchmarks.md, "datapath"); `--vxlan-checksum-offload` keeps it on.
  const offload: PlanStep[] =
    config.mode === 'vxlan' && !config.vxlanChecksumOffload
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
    `link add ${POD_BRIDGE} address ${macFrom(`cni0/${config.name}/${node.name}`)} type bridge`,
    `link set ${POD_BRIDGE} mtu ${mtu}`,
    `addr add ${node.gateway}/24 dev ${POD_BRIDGE}`,
    `link set ${POD_BRIDGE} up`,
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
  const sysctls = ['net.ipv4.ip_forward=1', 'net.ipv4.icmp_ratelimit=0'];
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
