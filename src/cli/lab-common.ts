/** Plumbing shared by the lab commands (up, down, apply, get, exec, logs). */
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

/** Resolves "ns/name" or "name" (namespace default, or -n) to a placed pod of the lab. */
export function findPod(state: LabState, ref: string, namespace = 'default') {
  const key = ref.includes('/') ? ref : `${namespace}/${ref}`;
  const pod = state.placements.find((p) => p.key === key);
  if (!pod) throw new LabError(`no pod ${JSON.stringify(key)} in lab ${JSON.stringify(state.config.name)} (see 'podnet get pods -A --name ${state.config.name}')`);
  return pod;
}
