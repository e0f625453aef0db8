/**
 * Pods' resolv.conf files: `ip netns exec NS` bind-mounts /etc/netns/NS/resolv.conf over
 * /etc/resolv.conf, so every process of a pod resolves through its own file. The directories are
 * the lab's (named after its namespaces) and go with `down`. A hostNetwork pod shares its node's
 * namespace: its file is in the state directory, bind-mounted for its processes alone
 * (agent/resolv-mount.ts).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { podResolvConf } from '../dns/resolv-conf.js';
import { labNetnsPrefix, type PlacedPod } from '../model/lab.js';
import { podKey, type Cluster } from '../model/types.js';
import { hostNetworkResolvConf } from './agent/resolv-mount.js';
import { labDir, writeFileAtomic, type LabState } from './state.js';
import { CLUSTER_ZONE, kubeDnsIP } from '../model/cluster-dns.js';

export const NETNS_ETC = '/etc/netns';

export function writeResolvConfs(state: LabState, cluster: Cluster, added: readonly PlacedPod[], removed: readonly PlacedPod[]): void {
  const dir = labDir(state.config.name);
  const hostNetworkFile = (key: string) => hostNetworkResolvConf(dir, key.split('/')[0], key.split('/')[1]);
  for (const p of removed) {
    if (p.netns) rmSync(join(NETNS_ETC, p.netns), { recursive: true, force: true });
    else rmSync(hostNetworkFile(p.key), { force: true });
  }
  if (!state.config.dns) return;
  const pods = new Map(cluster.pods.map((p) => [podKey(p), p]));
  const dns = { nameserver: kubeDnsIP(state.config.serviceCidr), zone: CLUSTER_ZONE };
  for (const at of added) {
    const pod = pods.get(at.key);
    const text = pod ? podResolvConf(pod, dns) : null;
    if (!text) continue;
    const file = at.netns ? join(NETNS_ETC, at.netns, 'resolv.conf') : hostNetworkFile(at.key);
    mkdirSync(dirname(file), { recursive: true });
    // World-readable as kubelet writes it: a container running as a non-root user (runAsUser)
    // resolves names through this file.
    writeFileAtomic(file, text, 0o644);
  }
}

/** Removes every /etc/netns directory of the lab (by its exact namespace prefix). */
export function removeResolvConfs(lab: string): number {
  let entries: string[];
  try {
    entries = readdirSync(NETNS_ETC);
  } catch {
    return 0;
  }
  const mine = entries.filter((e) => e.startsWith(labNetnsPrefix(lab)));
  for (const e of mine) rmSync(join(NETNS_ETC, e), { recursive: true, force: true });
  return mine.length;
}
