/**
 * The resolv.conf a pod gets, per its dnsPolicy, as the kubelet writes it (pure).
 * `ip netns exec` bind-mounts /etc/netns/<netns>/resolv.conf over /etc/resolv.conf, so every
 * process of the pod resolves through it.
 */
import type { Pod } from '../model/types.js';

export interface ClusterDns {
  /** The kube-dns Service address. */
  nameserver: string;
  /** The cluster domain, e.g. cluster.local. */
  zone: string;
}

/** Returns the file's text, or null when the pod uses its node's resolver ("Default"). */
export function podResolvConf(pod: Pod, dns: ClusterDns): string | null {
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  // "ClusterFirst": queries go to the cluster DNS... For Pods running with hostNetwork, you
  // should explicitly set "ClusterFirstWithHostNet" — a hostNetwork pod with ClusterFirst falls
  // back to "Default".
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.hostNetwork);
  if (!cluster && policy !== 'None') return null;
  let nameservers: string[] = cluster ? [dns.nameserver] : [];
  let searches: string[] = cluster ? [`${pod.namespace}.svc.${dns.zone}`, `svc.${dns.zone}`, dns.zone] : [];
  const options = new Map<string, string | undefined>(cluster ? [['ndots', '5']] : []);
  // dnsConfig is merged into what the policy gives: nameservers and searches appended
  // (duplicates dropped), options overriding those of the same name.
  const cfg = pod.dnsConfig;
  if (cfg) {
    nameservers = [...new Set([...nameservers, ...cfg.nameservers])];
    searches = [...new Set([...searches, ...cfg.searches])];
    for (const o of cfg.options) options.set(o.name, o.value);
  }
  const lines = [
    ...nameservers.slice(0, 3).map((n) => `nameserver ${n}`),
    ...(searches.length > 0 ? [`search ${searches.slice(0, 32).join(' ')}`] : []),
    ...(options.size > 0 ? [`options ${[...options].map(([k, v]) => (v === undefined ? k : `${k}:${v}`)).join(' ')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
