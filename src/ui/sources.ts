/**
 * Where the web view's data comes from: a running lab (its state file, re-read when it changes, and
 * its agents for readiness, asked every second) or manifests alone (`podnet ui -f`, the placement
 * and allocations a fresh `podnet up` would make). Either gives the pure endpoints a UiContext.
 */
import { existsSync, statSync } from 'node:fs';
import { readManifests } from '../api/load.js';
import { InputError } from '../api/problems.js';
import { flowsPath } from '../flows/collector.js';
import { LinuxHost } from '../host/host.js';
import { agentReports, LabError } from '../lab/lab.js';
import { probeMatrix } from '../lab/probe.js';
import { labDir, loadState, stateFilePath, type LabState } from '../lab/state.js';
import { defaultLbCidr, defaultNodeCidr, type LabConfig } from '../model/lab.js';
import type { Protocol } from '../model/types.js';
import { labWorld, offlineWorld, type TraceWorld } from '../trace/world.js';
import type { UiContext } from './api.js';
import { probeData, type ProbeData } from './matrix-data.js';

export interface UiSource {
  lab: string | null;
  context(): UiContext;
  /** Called whenever the context changed (an apply, a pod's readiness). */
  onChange(listener: () => void): void;
  /** Real probes of every pair (a lab, as root); null when there is nothing to probe. */
  probe: ((port: number, protocol: Protocol) => Promise<ProbeData>) | null;
  flowsPath: string | null;
  close(): void;
}

const STATE_POLL_MS = 100;
const READY_POLL_MS = 1_000;

export function filesSource(paths: readonly string[], options: { nodes?: number; mode?: 'routed' | 'vxlan'; flowsPath?: string } = {}): UiSource {
  const config: LabConfig = { name: 'offline', nodes: options.nodes ?? 2, mode: options.mode ?? 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: defaultNodeCidr('offline'), lbCidr: defaultLbCidr('offline'), dns: true };
  const { objects, problems } = readManifests(paths);
  if (problems.length > 0) throw new InputError(problems);
  const world = offlineWorld(config, objects);
  const ctx: UiContext = { world, ready: () => undefined, lab: null };
  return { lab: null, context: () => ctx, onChange: () => {}, probe: null, flowsPath: options.flowsPath ?? null, close: () => {} };
}

export async function labSource(name: string): Promise<UiSource> {
  let state = loadState(name);
  if (!state) throw new LabError(`no lab ${JSON.stringify(name)}: start one with 'podnet up --name ${name} -f PATH'`);
  const listeners: (() => void)[] = [];
  const notify = () => listeners.forEach((l) => l());
  let ready = new Map<string, boolean>();
  const lookup = (key: string) => (ready.get(key) ? 'ready' : 'notReady') as 'ready' | 'notReady';
  let world: TraceWorld = labWorld(state, lookup);
  const askAgents = async (s: LabState): Promise<boolean> => {
    const { pods } = await agentReports(s, 800);
    const next = new Map([...pods].map(([k, p]) => [k, p.ready]));
    const changed = next.size !== ready.size || [...next].some(([k, r]) => ready.get(k) !== r);
    ready = next;
    return changed;
  };
  await askAgents(state);
  const file = stateFilePath(name);
  const stamp = () => (existsSync(file) ? `${statSync(file).mtimeMs}:${statSync(file).size}` : 'gone');
  let last = stamp();
  let busy = false;
  const stateTimer = setInterval(() => {
    const now = stamp();
    if (now === last || busy) return;
    last = now;
    const next = loadState(name);
    if (!next) return;
    state = next;
    world = labWorld(state, lookup);
    notify();
    // Pods an apply added become ready a little later: ask their agents at once.
    busy = true;
    void askAgents(next).then((changed) => changed && notify(), () => {}).finally(() => (busy = false));
  }, STATE_POLL_MS);
  const readyTimer = setInterval(() => {
    if (busy) return;
    busy = true;
    void askAgents(state!).then((changed) => changed && notify(), () => {}).finally(() => (busy = false));
  }, READY_POLL_MS);
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return {
    lab: name,
    context: () => ({ world, ready: (key) => ready.get(key) ?? false, lab: name }),
    onChange: (l) => void listeners.push(l),
    probe: asRoot
      ? async (port, protocol) => {
          const { results } = await probeMatrix(new LinuxHost(), state!, port, protocol);
          return probeData(port, protocol, results);
        }
      : null,
    flowsPath: flowsPath(labDir(name)),
    close: () => {
      clearInterval(stateTimer);
      clearInterval(readyTimer);
    },
  };
}
