/**
 * podnet's CNI operations for one pod: ADD, DEL and CHECK, as the CNI 1.0 spec defines them.
 * ADD and DEL are pure: they return the plan (what `ip` must run) and the result JSON, so many
 * pods' ADDs can be batched into a few `ip -batch` runs.
 *
 * The attachment is routed, point to point (as Calico and the reference `ptp` plugin do; no
 * bridge): the pod's `eth0` has its address without a prefix route and a default route to the
 * gateway, an address of the node's own (`onlink`); the node has a /32 route to the pod through
 * the host end of the veth. Every packet of a pod, to a pod on the same node too, is routed by the
 * node, so Services and NetworkPolicy see it in the node's IP hooks without br_netfilter (a module
 * real hosts may not have loaded), and one hop is saved: measured in docs/benchmarks.md.
 */
import { parseCidr, parseIPv4 } from '../model/ip.js';
import { ipStep, type Plan } from '../render/plan.js';
import type { Host } from '../host/host.js';
import { CNI_ERRORS, CNI_VERSION, CniFailure, SUPPORTED_VERSIONS, type CniResult, type PodnetNetConf, type RuntimeArgs } from './types.js';

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** The namespace name `ip` takes for a netns path under /run/netns (or the path itself). */
export function netnsArg(path: string): string {
  for (const dir of ['/run/netns/', '/var/run/netns/']) if (path.startsWith(dir)) return path.slice(dir.length);
  return path;
}

/** Checks the configuration; the gateway may be left to an IPAM plugin's result (`needGateway` false). */
export function validateConf(conf: PodnetNetConf, needGateway = true): void {
  if (!SUPPORTED_VERSIONS.includes(conf.cniVersion)) {
    throw new CniFailure(CNI_ERRORS.incompatibleVersion, `unsupported cniVersion ${JSON.stringify(conf.cniVersion)}`, `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  if (typeof conf.name !== 'string' || conf.name === '') throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, 'network config: "name" is required');
  if (conf.gateway === undefined && !needGateway) return;
  if (typeof conf.gateway !== 'string' || conf.gateway === '') throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, 'network config: "gateway" is required (or an "ipam" plugin that returns one)');
  if (parseIPv4(conf.gateway) === null) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, `network config: gateway ${JSON.stringify(conf.gateway)} is not an IPv4 address`);
}

interface AddRequest {
  address: string;
  mac?: string;
  hostVeth: string;
  mtu: number;
}

/** Without "mtu" a pod gets Ethernet's 1500. */
const DEFAULT_MTU = 1500;

function addRequest(conf: PodnetNetConf, args: RuntimeArgs): AddRequest {
  validateConf(conf);
  const ips = conf.runtimeConfig?.ips ?? [];
  // podnet's IPAM runs before ADD and hands the address over through the "ips" capability.
  if (ips.length !== 1 || !parseCidr(ips[0]) || parseCidr(ips[0])!.family !== 4) {
    throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, 'runtimeConfig.ips must hold exactly one IPv4 address with prefix, e.g. "10.244.1.5/24"');
  }
  const mac = conf.runtimeConfig?.mac;
  if (mac !== undefined && !MAC.test(mac)) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, `runtimeConfig.mac ${JSON.stringify(mac)} is not a MAC address`);
  if (!args.containerId) throw new CniFailure(CNI_ERRORS.invalidEnv, 'CNI_CONTAINERID is required');
  if (!args.netns) throw new CniFailure(CNI_ERRORS.invalidEnv, 'CNI_NETNS is required for ADD');
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(args.ifName)) throw new CniFailure(CNI_ERRORS.invalidEnv, `CNI_IFNAME ${JSON.stringify(args.ifName)} is not a valid interface name`);
  const hostVeth = conf.runtimeConfig?.hostVeth ?? `pv${args.containerId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 10)}`;
  const mtu = conf.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, `network config: mtu ${JSON.stringify(conf.mtu)} is not an MTU (68-65535)`);
  return { address: ips[0], mac, hostVeth, mtu };
}

/** ADD: a veth pair from the node into the pod, the node's /32 route to it, its address and default route. */
export function cniAdd(conf: PodnetNetConf, args: RuntimeArgs): { plan: Plan; result: CniResult } {
  const req = addRequest(conf, args);
  const podNs = netnsArg(args.netns);
  const mac = req.mac ? ` address ${req.mac}` : '';
  const podIp = req.address.split('/')[0];
  const node = ipStep(conf.nodeNetns ?? null, [
    // The gateway is a node address (the pods' default route points at it, and it is the source
    // of the node's own packets to its pods); `replace` keeps ADD idempotent.
    `addr replace ${conf.gateway}/32 dev lo`,
    `link add ${req.hostVeth} mtu ${req.mtu} type veth peer name ${args.ifName} mtu ${req.mtu}${mac} netns ${podNs}`,
    `link set ${req.hostVeth} up`,
    `route add ${podIp}/32 dev ${req.hostVeth} scope link src ${conf.gateway}`,
  ]);
  // No prefix route: every destination, a pod of the same /24 too, goes through the gateway,
  // whose ARP the node answers (it is its own address); no proxy ARP, no bridge.
  const pod = ipStep(podNs, ['link set lo up', `addr add ${req.address} dev ${args.ifName} noprefixroute`, `link set ${args.ifName} up`, `route add default via ${conf.gateway} dev ${args.ifName} onlink`]);
  const result: CniResult = {
    // "The result is returned in the same cniVersion as the configuration."
    cniVersion: conf.cniVersion,
    interfaces: [
      { name: req.hostVeth },
      { name: args.ifName, ...(req.mac ? { mac: req.mac } : {}), mtu: req.mtu, sandbox: args.netns },
    ],
    // 0.4.0 results name the IP version of each address; 1.0.0 dropped the field.
    ips: [{ ...(conf.cniVersion === '0.4.0' ? { version: '4' } : {}), address: req.address, gateway: conf.gateway, interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: conf.gateway }],
    dns: {},
  };
  return { plan: [[node], [pod]], result };
}

/**
 * DEL: remove the host side of the veth (the pod side, the node's route to the pod and its
 * neighbour entry go with it). "Plugins should generally complete a DEL action without error even
 * if some resources are missing", so a failure is ignored.
 */
export function cniDel(conf: PodnetNetConf, args: RuntimeArgs): Plan {
  validateConf(conf, false);
  const hostVeth = conf.runtimeConfig?.hostVeth ?? `pv${args.containerId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 10)}`;
  return [[{ kind: 'exec', netns: conf.nodeNetns ?? null, argv: ['ip', 'link', 'del', hostVeth], allowFailure: true }]];
}

/** CHECK: the interface exists in the pod with the expected address and the default route. */
export async function cniCheck(host: Host, conf: PodnetNetConf, args: RuntimeArgs, prev: CniResult): Promise<void> {
  validateConf(conf);
  const podNs = netnsArg(args.netns);
  const addr = await host.exec(podNs, ['ip', '-j', 'addr', 'show', 'dev', args.ifName]);
  if (addr.code !== 0) throw new CniFailure(CNI_ERRORS.containerUnknown, `interface ${args.ifName} not found in ${args.netns}`, addr.stderr.trim());
  const have = (JSON.parse(addr.stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  for (const ip of prev.ips) {
    if (!have.includes(ip.address)) throw new CniFailure(CNI_ERRORS.ioFailure, `address ${ip.address} missing on ${args.ifName}`, `found: ${have.join(', ') || 'none'}`);
  }
  const routes = await host.exec(podNs, ['ip', '-j', 'route', 'show', 'default']);
  const gws = (JSON.parse(routes.stdout || '[]') as { gateway?: string }[]).map((r) => r.gateway);
  if (!gws.includes(conf.gateway)) throw new CniFailure(CNI_ERRORS.ioFailure, `default route via ${conf.gateway} missing in ${args.netns}`);
}
