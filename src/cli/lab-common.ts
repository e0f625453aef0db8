/** Plumbing shared by the lab commands (up, down, apply, get, exec, logs). */
import { labCluster } from '../api/lab-cluster.js';
import { parseIPv4 } from '../model/ip.js';
import { LinuxHost, type Host } from '../host/host.js';
import { LabError } from '../lab/lab.js';
import { loadState, type LabState } from '../lab/state.js';
import { UsageError } from './common.js';

export const DEFAULT_LAB = 'podnet';

export function requireRoot(what: string): Host {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError(`${what} needs root: it creates network namespaces (try sudo); 'podnet analyze' works without`);
  }
  return new LinuxHost();
}

export function requireLab(name: string): LabState {
  const state = loadState(name);
  if (!state) throw new LabError(`no lab ${JSON.stringify(name)}: start one with 'podnet up --name ${name} -f PATH'`);
  return state;
}

/**
 * Resolves a pod as `explain` does: "ns/name" or "name" (namespace default, or -n), a workload
 * "ns/owner" (its first pod, in name order), or a pod IP, to a placed pod of the lab.
 */
export function findPod(state: LabState, ref: string, namespace = 'default') {
  const key = ref.includes('/') ? ref : `${namespace}/${ref}`;
  const exact = state.placements.find((p) => p.key === key);
  if (exact) return exact;
  const byIP = parseIPv4(ref) !== null ? state.placements.find((p) => p.ip === ref && p.netns !== null) : undefined;
  if (byIP) return byIP;
  const [ns, name] = key.split('/', 2);
  const owned = labCluster(state).pods.filter((p) => p.namespace === ns && p.owner.name === name).map((p) => `${p.namespace}/${p.name}`).sort();
  const first = state.placements.find((p) => p.key === owned[0]);
  if (first) return first;
  throw new LabError(`no pod or workload ${JSON.stringify(parseIPv4(ref) !== null ? ref : key)} in lab ${JSON.stringify(state.config.name)} (see 'podnet get pods -A --name ${state.config.name}')`);
}
