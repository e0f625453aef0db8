/**
 * Secondary networks in analysis (pure): which pod interface holds which address, the interface
 * a connection leaves by, and the fact that NetworkPolicy does not apply there. The
 * NetworkPolicy API selects pods and judges "the pod's IP"; CNI plugins enforce it on the
 * cluster network only (Multus's attachments are outside it: MultiNetworkPolicy is a separate
 * API that podnet does not implement). In a lab that is literally so: a macvlan or bridge
 * attachment never passes the node's forward hook where table `ip podnet-policy` sits.
 */
import { parseNetworkConfig } from '../cni/delegate.js';
import type { AttachmentRecord } from '../lab/attachments.js';
import { parseCidr, parseIPv4 } from '../model/ip.js';
import { interfaceNames } from '../model/network-selection.js';
import { podKey, type Cluster, type Pod } from '../model/types.js';
import type { SideExplanation } from '../policy/explain.js';

export const POLICY_NOTE = 'NetworkPolicy does not apply to secondary interfaces (k8s.v1.cni.cncf.io/networks): it governs only the cluster network (eth0)';

/** One address of a pod's secondary interface. */
export interface SecondaryAddress {
  pod: string;
  ifname: string;
  /** "namespace/nad". */
  network: string;
  /** The plugin (first of a conflist), e.g. macvlan. */
  plugin: string;
  /** With its prefix length, e.g. 10.10.0.11/24 (a bare address counts as /32). */
  address: string;
  ip: string;
}

/** A running lab's secondary addresses, from the recorded ADD results. */
export function secondaryFromRecords(attachments: Readonly<Record<string, readonly AttachmentRecord[]>>): SecondaryAddress[] {
  return Object.entries(attachments).flatMap(([pod, records]) =>
    records.flatMap((a) => {
      if (!a.result) return [];
      const index = (a.result.interfaces ?? []).findIndex((i) => i.name === a.ifname && i.sandbox);
      return (a.result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === index).map((ip) => entry(pod, a.ifname, a.network, String(a.config.plugins[0].type), ip.address));
    }),
  );
}

/** Offline: only the addresses the annotations ask for ("ips"); IPAM-leased ones are not known. */
export function secondaryFromAnnotations(cluster: Cluster): SecondaryAddress[] {
  const plugin = (network: string) => {
    const nad = cluster.networkAttachmentDefinitions?.find((n) => `${n.namespace}/${n.name}` === network);
    const net = nad?.config ? parseNetworkConfig(nad.config) : 'no config';
    return typeof net === 'string' ? 'plugin from the CNI conf dir' : String(net.plugins[0].type);
  };
  return cluster.pods.flatMap((pod) => {
    const names = interfaceNames(pod.networks ?? []);
    return (pod.networks ?? []).flatMap((s, i) => {
      const network = `${s.namespace ?? pod.namespace}/${s.name}`;
      return (s.ips ?? []).map((ip) => entry(podKey(pod), names[i], network, plugin(network), ip));
    });
  });
}

function entry(pod: string, ifname: string, network: string, plugin: string, address: string): SecondaryAddress {
  const withPrefix = address.includes('/') ? address : `${address}/32`;
  return { pod, ifname, network, plugin, address: withPrefix, ip: withPrefix.split('/')[0] };
}

/** The source pod's secondary interface whose subnet holds `ip` (the connected route), if any. */
export function sourceInterface(all: readonly SecondaryAddress[], from: string, ip: string): SecondaryAddress | undefined {
  const n = parseIPv4(ip);
  return all.find((s) => {
    const c = parseCidr(s.address);
    return s.pod === from && n !== null && c !== null && n >= c.start && n <= c.end;
  });
}

/** A side of a connection over a secondary network: not judged by NetworkPolicy at all. */
export function exemptSide(direction: 'egress' | 'ingress', pod: string): SideExplanation {
  return { direction, pod, allowed: true, exempt: POLICY_NOTE, selectedBy: [], allowedBy: [] };
}

/** For `explain`: the note, when either pod has secondary networks (null otherwise). */
export function secondaryNote(pods: readonly (Pod | undefined)[]): { note: string; interfaces: string[] } | null {
  const interfaces = pods.flatMap((p) => (p?.networks ? interfaceNames(p.networks).map((n, i) => `${podKey(p)} ${n} (${p.networks![i].namespace ?? p.namespace}/${p.networks![i].name})`) : []));
  return interfaces.length > 0 ? { note: POLICY_NOTE, interfaces } : null;
}
