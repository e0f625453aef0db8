/**
 * The lab lifecycle: up (network, pods, agents), reconcile (apply/delete: level-triggered, only
 * what changed is touched) and down (everything the lab made, also after a crash).
 */
import { release } from 'node:os';
import { modeledObjects, readCluster } from '../api/cluster.js';
import type { RawObject } from '../api/load.js';
import { applyPlan } from '../host/executor.js';
import type { Host } from '../host/host.js';
import { hostNft } from '../host/nft-native.js';
import { decideVxlanChecksumOffload } from '../model/kernel.js';
import { labNetnsPrefix, placePods, planNodes, validateLabConfig, type LabConfig, type PlacedPod } from '../model/lab.js';
import { podKey } from '../model/types.js';
import { finishedTerminating, gracefulDeletions, livePlacements, terminations } from './terminating.js';
import { stableJson } from '../model/names.js';
import { STORED_RESOURCES } from '../apiserver/resources.js';
import { parseCidr } from '../model/ip.js';
import { hostLink, renderLabNetwork } from '../render/lab-network.js';
import { renderSeal } from '../render/nft/seal.js';
import { agentSpecs } from './agent-specs.js';
import { request, startAgent, type AgentPodSpec, type AgentPodStatus } from './agent-client.js';
import { attachAdded, detachRemoved, toRetry } from './attach-sync.js';
import { resolveAttachments, type AttachStats } from './attachments.js';
import { ensureDnsForwarder } from './dns-forwarder.js';
import { ensureMonitor } from './monitor.js';
import { ensureApiServer } from './apiserver.js';
import { renderPodsAdd, renderPodsDel } from './network.js';
import { labPolicyRecord, syncPolicies, type PolicySyncReport } from './policy.js';
import { labSemantics } from '../policy/semantics.js';
import { syncServices } from '../proxy/sync.js';
import { appliedRecord, conditionsLookup, endpointConditions } from './readiness.js';
import { writeResolvConfs } from './resolv.js';
import { labCluster, placeOnto, translateLab } from '../api/lab-cluster.js';
import { resolveSecurity } from './agent/security.js';
import { labDir, listLabs, loadState, saveState, type LabState } from './state.js';

/** A lab-level problem the user can fix (exists already, not found, bad flags): exit code 2. */
export class LabError extends Error {
  override name = 'LabError';
}

export interface ReconcileReport {
  /** The translation's notes: warnings, skipped kinds and files. */
  notes: readonly string[];
  added: string[];
  /** Pods stopped or being stopped (those terminating too). */
  removed: string[];
  /** Pods this reconcile began to delete gracefully (still running: lab/terminating.ts). */
  terminating: string[];
  unchanged: number;
  unschedulable: { key: string; reason: string }[];
  /** TCP containerPorts of command containers that were not listening when the wait ended. */
  notListening: string[];
  /** Services left out because the API server would reject them (allocation conflicts). */
  serviceProblems: string[];
  /** Pods an agent could not start (e.g. a port already taken in a shared namespace); the rest run. */
  podProblems: string[];
  statuses: AgentPodStatus[];
  policy: PolicySyncReport;
  /** Secondary network attachments added by this reconcile (src/lab/attachments.ts). */
  attachments?: AttachStats;
}

const PORT_WAIT_MS = 20_000;

/**
 * `up` returns when pods run and their ports listen. Built-in servers listen before the agent
 * answers; a command container's declared TCP ports are polled with `ss` in its namespace.
 */
async function waitForCommandPorts(host: Host, state: LabState, specs: readonly AgentPodSpec[]): Promise<string[]> {
  const wanted = specs.flatMap((s) =>
    s.containers
      .filter((c) => c.command && c.command.length > 0 && c.builtin === undefined)
      .flatMap((c) => c.ports.filter((p) => p.protocol === 'TCP').map((p) => ({ key: s.key, netns: s.netns ?? state.nodes.find((n) => n.name === s.node)!.netns, port: p.containerPort }))),
  );
  const deadline = Date.now() + PORT_WAIT_MS;
  let pending = wanted;
  while (pending.length > 0) {
    const listening = new Map<string, Set<number>>();
    for (const ns of new Set(pending.map((w) => w.netns))) {
      const r = await host.exec(ns, ['ss', '-Hltn']);
      listening.set(ns, new Set([...r.stdout.matchAll(/\S+:(\d+)\s+\S+:\*/g)].map((m) => Number(m[1]))));
    }
    pending = pending.filter((w) => !listening.get(w.netns)!.has(w.port));
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return pending.map((w) => `${w.key}:${w.port}`);
}

/**
 * Pods no node can take make `up` and `apply` fail before anything changes, naming each pod and
 * the scheduler's reason (its FailedScheduling event), rather than leaving them Pending.
 */
function refuseUnschedulable(unschedulable: readonly { key: string; reason: string }[]): void {
  if (unschedulable.length === 0) return;
  const lines = unschedulable.map((u) => `  pod ${u.key}: ${u.reason}`);
  throw new LabError(`${unschedulable.length} pod${unschedulable.length === 1 ? '' : 's'} cannot be scheduled; nothing was done:\n${lines.join('\n')}`);
}

/**
 * Labs share the host's routing table through their host links: their node networks and
 * LoadBalancer pools must not overlap (the default /24s are chosen by name, so two names can
 * meet). Pod and service CIDRs stay inside each lab's namespaces and may repeat.
 */
function checkOtherLabs(config: LabConfig): void {
  const mine = [config.nodeCidr, config.lbCidr].flatMap((c) => (c ? [parseCidr(c)!] : []));
  for (const name of listLabs()) {
    const other = name === config.name ? null : loadState(name);
    if (!other) continue;
    for (const theirs of [other.config.nodeCidr, other.config.lbCidr].flatMap((c) => (c ? [parseCidr(c)!] : []))) {
      const clash = mine.find((m) => m.start <= theirs.end && theirs.start <= m.end);
      if (clash) throw new LabError(`${clash.text} overlaps ${theirs.text} of lab ${JSON.stringify(name)}: choose other ranges with --node-cidr and --lb-cidr`);
    }
  }
}

export async function labUp(host: Host, given: LabConfig, objects: RawObject[]): Promise<{ state: LabState; report: ReconcileReport }> {
  // VXLAN checksum offload not forced: the running kernel decides (on from Linux 5.7), and the
  // state records what was decided.
  const config: LabConfig = given.mode === 'vxlan' && given.vxlanChecksumOffload === undefined ? { ...given, vxlanChecksumOffload: decideVxlanChecksumOffload('auto', release()).offload } : given;
  const problems = validateLabConfig(config);
  if (problems.length > 0) throw new LabError(problems.join('\n'));
  if (loadState(config.name)) throw new LabError(`lab ${JSON.stringify(config.name)} already exists: use 'podnet apply --name ${config.name}' or 'podnet down --name ${config.name}'`);
  const leftovers = (await host.listNetns()).filter((n) => n.startsWith(labNetnsPrefix(config.name)));
  if ((await host.exec(null, ['ip', 'link', 'show', hostLink(config.name)])).code === 0) leftovers.push(`link ${hostLink(config.name)}`);
  if (leftovers.length > 0) throw new LabError(`parts of a lab ${JSON.stringify(config.name)} exist (${leftovers[0]}, …): run 'podnet down --name ${config.name}' first`);
  checkOtherLabs(config);
  const manifestNodes = readCluster(objects, { podCidr: config.podCidr }).nodes; // validates the input before anything is created
  // Node manifests may ask for more nodes than --nodes: the limits hold for the real count.
  const effective = validateLabConfig({ ...config, nodes: Math.max(config.nodes, manifestNodes.length) });
  if (effective.length > 0) throw new LabError(effective.map((p) => `${p} (${manifestNodes.length} Node manifests)`).join('\n'));
  const nodes = planNodes(config, manifestNodes);
  resolveAttachments(translateLab({ config, nodes, objects }), labDir(config.name)); // NADs, their configs and plugins too
  const planned = placeOnto(translateLab({ config, nodes, objects }), { nodes, placements: [] });
  refuseUnschedulable(placePods(config.name, planned.pods, nodes, new Map(), planned.namespaces).unschedulable);
  const state: LabState = { version: 1, config, phase: 'creating', createdAt: new Date().toISOString(), nodes, placements: [], objects: keptObjects(objects) };
  saveState(state); // first, so that `down` knows the lab even if we crash from here on
  try {
    await applyPlan(host, renderLabNetwork(config, nodes));
    await sealLab(host, config);
    const report = await reconcile(host, state, objects);
    state.phase = 'ready';
    saveState(state);
    return { state, report };
  } catch (e) {
    state.phase = 'failed';
    saveState(state);
    throw e;
  }
}

/** The lab's nftables seal in the root namespace (render/nft/seal.ts); before any pod runs. */
async function sealLab(host: Host, config: LabConfig): Promise<void> {
  try {
    await hostNft(host).run(null, renderSeal(config, hostLink(config.name)));
  } catch (e) {
    throw new LabError(`cannot seal lab ${config.name} (nft): ${(e as Error).message}`);
  }
}

const SERVED_KINDS: ReadonlySet<string> = new Set(STORED_RESOURCES.map((r) => r.kind));

/** The objects a lab keeps: of kinds it models, or that its API serves (ConfigMaps, ServiceAccounts…). */
function keptObjects(objects: readonly RawObject[]): RawObject[] {
  return objects.filter((o) => SERVED_KINDS.has(String(o.obj.kind)) || modeledObjects([o]).length > 0);
}

/**
 * What `reconcile` checks before it changes anything — the translation and the scheduler — for
 * `objects` as the lab's new objects; throws what reconcile would (InputError, LabError).
 */
export function checkObjects(state: LabState, objects: readonly RawObject[]): void {
  const base = translateLab({ ...state, objects: [...objects] });
  const cluster = placeOnto(base, { nodes: state.nodes, placements: [] });
  const previous = new Map(state.placements.map((p) => [p.key, p]));
  refuseUnschedulable(placePods(state.config.name, cluster.pods, state.nodes, previous, cluster.namespaces, (state.terminating ?? []).map((t) => t.placement)).unschedulable);
}

export interface ReconcileOptions {
  /** Pods deleted through the API whose controller makes them again under the same name. */
  restart?: ReadonlySet<string>;
  /** Grace periods deletions asked for ("ns/name" → seconds, DeleteOptions.gracePeriodSeconds): over the pods' own. */
  grace?: ReadonlyMap<string, number>;
}

/**
 * Makes the running lab match `objects`: pods added, removed or restarted; the rest untouched.
 * A pod whose object is gone terminates gracefully (lab/terminating.ts): it stays, terminating,
 * until its containers have stopped; a later reconcile (finishTerminations, the monitor) removes it.
 */
export async function reconcile(host: Host, state: LabState, objects: RawObject[], opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const base = translateLab({ ...state, objects });
  const cluster = placeOnto(base, { nodes: state.nodes, placements: [] });
  const previous = new Map(state.placements.map((p) => [p.key, p]));
  const restart = opts.restart ?? new Set<string>();
  // Terminating pods that have stopped (or must make room for a new pod of their name) go now.
  // (A deletion with grace period 0 of a terminating pod ends it at once too.)
  const forced = [...(opts.grace ?? new Map<string, number>())].filter(([, g]) => g === 0).map(([k]) => k);
  const finished = await finishedNow(state, new Set([...cluster.pods.map(podKey), ...forced]));
  const stillTerminating = (state.terminating ?? []).filter((t) => !finished.has(t.placement.key));
  const scheduled = placePods(state.config.name, cluster.pods, state.nodes, previous, cluster.namespaces, stillTerminating.map((t) => t.placement));
  const { unschedulable } = scheduled;
  refuseUnschedulable(unschedulable);
  // A pod made again under its name: a new incarnation (new sandbox, new containers), same place.
  const placed = scheduled.placed.map((p) => (restart.has(p.key) && previous.has(p.key) ? { ...p, incarnation: (previous.get(p.key)!.incarnation ?? 0) + 1 } : p));
  const next = new Map(placed.map((p) => [p.key, p]));
  const again = (key: string) => restart.has(key) && previous.has(key);
  // Deleted pods (their object gone) terminate gracefully, unless their grace period is 0.
  const ending = gracefulDeletions(state, state.placements.filter((p) => !next.has(p.key) && !again(p.key)), opts.grace);
  const endingKeys = new Set(ending.map((t) => t.placement.key));
  const ended = (state.terminating ?? []).filter((t) => finished.has(t.placement.key)).map((t) => t.placement);
  const removed = state.placements.filter((p) => (!sameNetwork(p, next.get(p.key)) || again(p.key)) && !endingKeys.has(p.key)).concat(ended);
  const added = placed.filter((p) => !sameNetwork(p, previous.get(p.key)) || again(p.key));
  // Secondary networks of the pods about to be attached (new ones, and retries of failed ones), as
  // Multus reads them at sandbox creation: running pods keep theirs even if their NAD goes.
  const attaching = new Set([...added, ...toRetry(state, placed)].map((p) => p.key));
  const desired = resolveAttachments(base, labDir(state.config.name), attaching); // before anything changes
  const detachErrors = await detachRemoved(state, removed);
  await applyPlan(host, renderPodsDel(state.config, state.nodes, removed));
  state.placements = state.placements.filter((p) => !removed.includes(p) && !endingKeys.has(p.key));
  state.terminating = [...stillTerminating, ...ending];
  if (state.terminating.length === 0) delete state.terminating;
  // Only the kinds podnet models or its API serves are kept (the notes above named the skipped ones).
  state.objects = keptObjects(objects);
  saveState(state);
  // The cluster as it will run: every pod with its new address and node.
  const running = placeOnto(base, { nodes: state.nodes, placements: placed, terminating: state.terminating });
  // Policies first, with the new pods' addresses: a selected pod is isolated from its first packet.
  const policy = await syncPolicies(hostNft(host), state.nodes, running, labSemantics(state.config), labPolicyRecord(state.config.name));
  await applyPlan(host, renderPodsAdd(state.config, state.nodes, added));
  state.placements = placed;
  saveState(state);
  const attached = await attachAdded(host, state, cluster, placed, added, desired);
  writeResolvConfs(state, cluster, added, removed);
  await ensureDnsForwarder(state);
  // A pod whose attachments failed does not start (its sandbox could not be set up).
  const specs = agentSpecs(cluster, placed.filter((p) => !attached.failed.has(p.key)));
  const { statuses, errors: agentProblems } = await syncAgents(state, specs);
  const podProblems = [...agentProblems, ...[...attached.failed].map(([key, why]) => `${key}: ${why}`), ...detachErrors.map((e) => `DEL ${e}`)];
  const conditions = endpointConditions(livePlacements(state).map((p) => p.key), new Map(statuses.map((s) => [s.key, s])));
  const servicesStart = performance.now();
  const proxy = await syncServices(host, state, running, conditionsLookup(conditions), { beforeApply: (pending) => saveState(Object.assign(state, pending)) });
  Object.assign(state, proxy.record);
  state.endpoints = appliedRecord(conditions, state.endpoints, 'reconcile');
  state.sync = syncStats(state, performance.now() - servicesStart, policy);
  saveState(state);
  await ensureMonitor(state);
  // The lab's Kubernetes API (kubectl), again if it died: it follows the state just saved.
  if (!state.config.noApi) await ensureApiServer(labDir(state.config.name));
  const notListening = await waitForCommandPorts(host, state, specs.filter((s) => added.some((a) => a.key === s.key)));
  return {
    notes: base.notes,
    added: added.map((p) => p.key),
    removed: [...removed.filter((p) => !next.has(p.key) && !ended.includes(p)).map((p) => p.key), ...endingKeys],
    terminating: [...endingKeys],
    unchanged: placed.length - added.length,
    unschedulable,
    notListening,
    serviceProblems: proxy.problems,
    podProblems,
    statuses,
    policy,
    attachments: attached.stats,
  };
}

/** Terminating pods that can go now (agents asked only when there are any). */
async function finishedNow(state: LabState, wanted: ReadonlySet<string>): Promise<Set<string>> {
  if (!state.terminating || state.terminating.length === 0) return new Set();
  const { pods, answered } = await agentReports(state, 2_000);
  return finishedTerminating(state.terminating, pods, answered, Date.now(), wanted);
}

/**
 * Waits, under the caller's lock, until the lab's terminating pods are gone: reconciles again
 * each time some have stopped (`podnet apply|delete` return when their pods are gone).
 */
export async function finishTerminations(host: Host, state: LabState): Promise<void> {
  while (state.terminating && state.terminating.length > 0) {
    if ((await finishedNow(state, new Set())).size > 0) await reconcile(host, state, state.objects);
    else await new Promise((r) => setTimeout(r, 100));
  }
}

function syncStats(state: LabState, servicesMs: number, policy: PolicySyncReport): NonNullable<LabState['sync']> {
  const services = state.proxyTable?.services ?? [];
  return {
    at: new Date().toISOString(),
    count: (state.sync?.count ?? 0) + 1,
    servicesMs,
    services: services.length,
    endpoints: services.reduce((n, s) => n + s.ports.reduce((m, p) => m + p.endpoints.length, 0), 0),
    policyCompileMs: policy.compileMs,
    policyApplyMs: policy.applyMs,
    isolatedPods: policy.isolatedPods,
    policyElements: policy.elements,
  };
}

function sameNetwork(a: PlacedPod | undefined, b: PlacedPod | undefined): boolean {
  return a !== undefined && b !== undefined && a.node === b.node && a.ip === b.ip && a.netns === b.netns;
}

/** Every pod the agent of `node` runs (the monitor hands them to an agent it started again). */
export function nodeAgentSpecs(state: LabState, node: string): AgentPodSpec[] {
  return agentSpecs(labCluster(state), state.placements.filter((p) => p.node === node));
}

/** What the pod's agent was given for it (podnet exec builds the same sandbox from it). */
export function agentPodSpec(state: LabState, key: string): AgentPodSpec | undefined {
  const placed = state.placements.filter((p) => p.key === key);
  return placed.length === 0 ? undefined : agentSpecs(labCluster(state), placed)[0];
}

/**
 * Starts missing agents and hands each node its pods; returns every pod's status. A pod that
 * cannot start fails alone (as in Kubernetes): its problem is reported, the rest go on.
 */
async function syncAgents(state: LabState, specs: AgentPodSpec[]): Promise<{ statuses: AgentPodStatus[]; errors: string[] }> {
  const now = Date.now();
  const errors: string[] = [];
  const dir = labDir(state.config.name);
  const results = await Promise.all(
    state.nodes.map(async (node) => {
      try {
        await request(dir, node.name, { op: 'status' }, 2_000);
      } catch {
        await startAgent(dir, node.name, node.netns);
      }
      const terminate = terminations(state.terminating ?? [], node.name, now);
      const reply = await request(dir, node.name, { op: 'sync', pods: specs.filter((s) => s.node === node.name), ...(terminate.length > 0 ? { terminate } : {}) }, 120_000);
      if (!reply.ok) errors.push(`${node.name}: ${reply.error}`);
      return reply.pods ?? [];
    }),
  );
  return { statuses: results.flat(), errors };
}

/** Every pod's status from the agents (pods of an unreachable agent are absent). */
export async function podStatuses(state: LabState): Promise<Map<string, AgentPodStatus>> {
  return (await agentReports(state)).pods;
}

/**
 * The agents' answers: every pod's status, and the nodes whose agent answered (an agent that
 * does not answer within `timeoutMs`, or answers with an error, is down: its pods are absent).
 */
export async function agentReports(state: LabState, timeoutMs = 5_000): Promise<{ pods: Map<string, AgentPodStatus>; answered: Set<string> }> {
  const dir = labDir(state.config.name);
  const pods = new Map<string, AgentPodStatus>();
  const answered = new Set<string>();
  await Promise.all(
    state.nodes.map(async (n) => {
      try {
        const reply = await request(dir, n.name, { op: 'status' }, timeoutMs);
        if (!reply.ok) return;
        for (const p of reply.pods) pods.set(p.key, p);
        answered.add(n.name);
      } catch {
        /* agent down: its pods show as Unknown, its node as NotReady */
      }
    }),
  );
  return { pods, answered };
}
