/**
 * The lab's object store (pure; the server persists its snapshot): every object with a
 * resourceVersion from one counter, one writer, and a window of recent events for watches.
 * Objects are kept as JSON values; readers get them as stored and must not change them.
 */
import { apiTime } from '../model/api-time.js';
import { alreadyExists, conflict, gone, notFound } from './errors.js';
import { hasGeneration, objectKey, type ResourceInfo } from './resources.js';
import { withDefaults } from '../api/defaults.js';

export type Obj = Record<string, unknown> & { metadata: Meta };
export interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

/** Who owns an object's spec: the user (kubectl, podnet apply) or the lab (pods of workloads, nodes, slices). */
export type Origin = 'user' | 'lab';
export interface Entry { key: string; resource: string; obj: Obj; origin: Origin }
export interface StoreEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rv: number; resource: string; obj: Obj }
export interface Snapshot { rv: number; entries: Entry[]; seen?: unknown }

const WINDOW = 20_000;

/** The lab API server's store: objects are kept with the defaults kube-apiserver gives them when it decodes them. */
export function serverStore(): Store {
  return new Store(undefined, undefined, (obj) => withDefaults(obj) as Obj);
}

export class Store {
  rv = 0;
  private readonly entries = new Map<string, Entry>();
  private events: StoreEvent[] = [];
  /** Every event before this resourceVersion is gone: a watch from before it gets 410. */
  private since = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** After each change: the object's entry as stored now, or null when it was deleted (persistence). */
  onWrite: (key: string, entry: Entry | null) => void = () => {};

  constructor(
    private readonly now: () => string = () => apiTime()!,
    private readonly uid: () => string = () => globalThis.crypto.randomUUID(),
    /** What every object written gets first (the server's defaults, src/api/defaults.ts). */
    private readonly prepare: (obj: Obj) => Obj = (obj) => obj,
  ) {}

  load(s: Snapshot): void {
    this.rv = s.rv;
    this.since = s.rv;
    for (const e of s.entries) this.entries.set(e.key, e);
  }

  /** A change as onWrite reported it, read back after a restart (the snapshot's rv then grows to it). */
  replay(key: string, entry: Entry | null, rv: number): void {
    if (entry) this.entries.set(key, entry);
    else this.entries.delete(key);
    this.rv = Math.max(this.rv, rv);
    this.since = this.rv;
  }

  snapshot(): Snapshot {
    return { rv: this.rv, entries: [...this.entries.values()] };
  }

  get(ri: ResourceInfo, namespace: string, name: string): Entry | undefined {
    return this.entries.get(objectKey(ri, namespace, name));
  }

  mustGet(ri: ResourceInfo, namespace: string, name: string): Entry {
    const e = this.get(ri, namespace, name);
    if (!e) throw notFound(ri.resource, name, ri.group);
    return e;
  }

  /** Objects of a resource (in one namespace, or all), in key order as etcd lists them. */
  list(ri: ResourceInfo, namespace?: string): Entry[] {
    const prefix = `${ri.group}/${ri.resource}/${ri.namespaced && namespace ? `${namespace}/` : ''}`;
    return [...this.entries.values()].filter((e) => e.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  size(): number {
    return this.entries.size;
  }

  all(): Entry[] {
    return [...this.entries.values()];
  }

  create(ri: ResourceInfo, given: Obj, origin: Origin): Obj {
    const obj = this.prepare(given);
    const ns = ri.namespaced ? obj.metadata.namespace ?? 'default' : undefined;
    const key = objectKey(ri, ns ?? '', obj.metadata.name);
    if (this.entries.has(key)) throw alreadyExists(ri.resource, obj.metadata.name, ri.group);
    const stored = this.stamp({ ...obj, metadata: { ...obj.metadata, ...(ns ? { namespace: ns } : { namespace: undefined }), uid: this.uid(), creationTimestamp: obj.metadata.creationTimestamp ?? this.now(), ...(hasGeneration(ri) ? { generation: 1 } : {}) } });
    const entry: Entry = { key, resource: ri.resource, obj: stored, origin };
    this.entries.set(key, entry);
    this.onWrite(key, entry);
    this.emit({ type: 'ADDED', rv: this.rv, resource: ri.resource, obj: stored });
    return stored;
  }

  /**
   * Replaces an object. A resourceVersion in `obj` is a precondition ("the update is rejected
   * with a conflict if the resourceVersion does not match", optimistic concurrency). Identity
   * (uid, creationTimestamp) stays; generation grows when anything but metadata and status changed,
   * and when the object is marked for deletion.
   */
  update(ri: ResourceInfo, given: Obj, origin?: Origin): Obj {
    const obj = this.prepare(given);
    const ns = ri.namespaced ? obj.metadata.namespace ?? 'default' : '';
    const old = this.mustGet(ri, ns, obj.metadata.name);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.obj.metadata.resourceVersion) throw conflict(ri.resource, obj.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again', ri.group);
    const m = old.obj.metadata;
    // Marking an object for deletion (deletionTimestamp first set) bumps generation too, as
    // kube-apiserver's store does: controllers see the change of intent in generation.
    const marking = m.deletionTimestamp === undefined && obj.metadata.deletionTimestamp !== undefined ? 1 : 0;
    const { generation: _given, ...meta } = obj.metadata;
    const generation = hasGeneration(ri) ? { generation: (m.generation ?? 1) + (sameJson(old.obj, obj, SPEC_ONLY) ? 0 : 1) + marking } : {};
    const next: Obj = { ...obj, metadata: { ...meta, ...(ns ? { namespace: ns } : {}), uid: m.uid, creationTimestamp: m.creationTimestamp, ...generation } };
    if (sameContent(next, old.obj)) return old.obj; // a no-op write is no event
    const stored = this.stamp(next);
    const entry: Entry = { ...old, obj: stored, origin: origin ?? old.origin };
    this.entries.set(old.key, entry);
    this.onWrite(old.key, entry);
    this.emit({ type: 'MODIFIED', rv: this.rv, resource: ri.resource, obj: stored });
    return stored;
  }

  delete(ri: ResourceInfo, namespace: string, name: string): Obj {
    const old = this.mustGet(ri, namespace, name);
    this.entries.delete(old.key);
    // The deleted object carries the resourceVersion of its deletion, as watch events do.
    const obj = { ...old.obj, metadata: { ...old.obj.metadata, resourceVersion: String(++this.rv) } };
    this.onWrite(old.key, null);
    this.emit({ type: 'DELETED', rv: this.rv, resource: ri.resource, obj });
    return obj;
  }

  /** Events after `rv` for a watch; throws 410 Gone when they are no longer kept. */
  eventsAfter(rv: number): StoreEvent[] {
    if (rv < this.since) throw gone(`too old resource version: ${rv} (${this.since})`);
    return this.events.filter((e) => e.rv > rv);
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private stamp(obj: Obj): Obj {
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
  }

  private emit(e: StoreEvent): void {
    this.events.push(e);
    if (this.events.length > WINDOW) {
      const cut = this.events.length - WINDOW;
      this.since = this.events[cut - 1].rv;
      this.events = this.events.slice(cut);
    }
    for (const l of this.listeners) l(e);
  }
}

function sameContent(a: Obj, b: Obj): boolean {
  return sameJson(a, b, (k, depth) => depth === 0 && k === 'metadata') && sameJson(a.metadata, b.metadata, (k, depth) => depth === 0 && k === 'resourceVersion');
}

/** Everything but metadata and status: what a change of bumps generation. */
const SPEC_ONLY = (k: string, depth: number) => depth === 0 && (k === 'metadata' || k === 'status');

/**
 * Equal as JSON values, whatever the order of their keys (a client's body and the lab's copy of
 * an object list them differently); a key whose value is undefined is absent, as in JSON.
 * `skip` leaves keys out of the comparison, by name and depth (0: the top level).
 */
export function sameJson(a: unknown, b: unknown, skip: (key: string, depth: number) => boolean = () => false, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((v, i) => sameJson(v, bs[i], skip, depth + 1));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (ra[k] === undefined || skip(k, depth)) continue;
    n++;
    if (!sameJson(ra[k], rb[k], skip, depth + 1)) return false;
  }
  for (const k in rb) if (rb[k] !== undefined && !skip(k, depth)) n--;
  return n === 0;
}
