/**
 * A Deployment's ReplicaSets as the deployment controller keeps them (pure): one per pod
 * template the Deployment has had, named "<deployment>-<pod-template-hash>" like its pods; the
 * one of the current template runs spec.replicas, the old ones 0 and stay as the rollout
 * history (`kubectl rollout history|undo` read them) up to spec.revisionHistoryLimit.
 *
 * Revisions follow the controller (pkg/controller/deployment/sync.go): a new template's
 * ReplicaSet gets the highest old revision + 1; when the Deployment goes back to an old template
 * (`rollout undo`), that ReplicaSet is made current again and its revision moves up the same way,
 * the revision it had noted in deployment.kubernetes.io/revision-history. The Deployment carries
 * its current revision in deployment.kubernetes.io/revision, and the current ReplicaSet the
 * Deployment's own annotations (kubernetes.io/change-cause among them).
 */
import { templateHash } from '../api/defaults.js';
import type { Obj } from './store.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
/** The Deployment's annotations the controller does not copy to its ReplicaSets. */
const NOT_COPIED = new Set([REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'kubectl.kubernetes.io/last-applied-configuration']);

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const strings = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => typeof x === 'string')) as Record<string, string>;

export function revisionOf(rs: Obj): number {
  const v = Number(rs.metadata.annotations?.[REVISION] ?? 0);
  return Number.isInteger(v) && v > 0 ? v : 0;
}

export interface OwnerRef { kind?: string; name?: string; uid?: string; controller?: boolean }

/** The object's controller: its ownerReference with controller true. */
export function controllerRef(o: Obj): OwnerRef | undefined {
  return ((o.metadata.ownerReferences ?? []) as OwnerRef[]).find((r) => r.controller === true);
}

/** Is `rs` controlled by the Deployment (its controller ownerReference; by uid when it has one)? */
export function controlledBy(rs: Obj, name: string, uid: string): boolean {
  const r = controllerRef(rs);
  // A reference made before the Deployment had its uid (the lab's first sync) names it by name.
  return r !== undefined && r.kind === 'Deployment' && r.name === name && (uid === '' || !r.uid || r.uid === uid);
}

/** intstr.GetScaledValueFromIntOrPercent: an int, or "N%" of `total` (rounded up or down). */
function scaled(v: unknown, total: number, roundUp: boolean, fallback: string): number {
  const text = v === undefined ? fallback : String(v);
  const m = /^(\d+)%$/.exec(text);
  if (!m) return Number.isInteger(Number(text)) ? Number(text) : 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** deployment.kubernetes.io/max-replicas: replicas + maxSurge (25% by default; Recreate: none). */
function maxReplicas(spec: Raw, replicas: number): number {
  const strategy = obj(spec.strategy);
  if (strategy.type === 'Recreate') return replicas;
  return replicas + scaled(obj(strategy.rollingUpdate).maxSurge, replicas, true, '25%');
}

export interface DeploymentReplicaSets {
  /** The ReplicaSets to keep, the current one first (each with its status left to the caller). */
  replicaSets: Obj[];
  /** The Deployment's current revision. */
  revision: number;
}

/**
 * The ReplicaSets the Deployment should have, given those that exist (any order; the caller
 * passes those the Deployment controls). Old ones beyond revisionHistoryLimit (10 by default),
 * oldest revision first, are left out: the caller deletes them.
 */
export function deploymentReplicaSets(deployment: Obj, uid: string, existing: readonly Obj[]): DeploymentReplicaSets {
  const { name, namespace } = deployment.metadata;
  const spec = obj(deployment.spec);
  const template = obj(spec.template);
  const hash = templateHash(spec.template);
  const rsName = `${name}-${hash}`;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const old = existing.filter((rs) => rs.metadata.name !== rsName);
  const current = existing.find((rs) => rs.metadata.name === rsName);
  const newRevision = Math.max(0, ...old.map(revisionOf)) + 1;
  const had = current ? revisionOf(current) : 0;
  const revision = had >= newRevision ? had : newRevision;
  const history = strings(current?.metadata.annotations)[REVISION_HISTORY];
  const movedUp = had > 0 && had < revision ? (history ? `${history},${had}` : String(had)) : history;
  const copied = Object.fromEntries(Object.entries(strings(deployment.metadata.annotations)).filter(([k]) => !NOT_COPIED.has(k)));
  const selector = obj(spec.selector);
  const templateMeta = obj(template.metadata);
  const labels = { ...strings(templateMeta.labels), [HASH_LABEL]: hash };
  const made: Obj = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rsName,
      namespace,
      labels,
      annotations: { ...copied, [DESIRED_REPLICAS]: String(replicas), [MAX_REPLICAS]: String(maxReplicas(spec, replicas)), [REVISION]: String(revision), ...(movedUp ? { [REVISION_HISTORY]: movedUp } : {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas,
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
      selector: { ...selector, matchLabels: { ...strings(selector.matchLabels), [HASH_LABEL]: hash } },
      template: { ...template, metadata: { ...templateMeta, labels } },
    },
  };
  const limit = typeof spec.revisionHistoryLimit === 'number' ? Math.max(0, spec.revisionHistoryLimit) : 10;
  const kept = [...old]
    .sort((a, b) => revisionOf(b) - revisionOf(a))
    .slice(0, limit)
    .map((rs) => ({ ...rs, spec: { ...obj(rs.spec), replicas: 0 } }) as Obj);
  return { replicaSets: [made, ...kept], revision };
}
