/**
 * WATCH: newline-delimited JSON events, each written (and flushed) as it happens. "resourceVersion
 * unset or 0: start at the most recent state, with synthetic ADDED events for every object";
 * a version older than the kept window: 410 Gone; bookmarks when allowWatchBookmarks; the
 * stream ends after timeoutSeconds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { filterObjects } from './query.js';
import { groupVersion, type ResourceInfo } from './resources.js';
import type { Obj, Store, StoreEvent } from './store.js';
import { table, type IncludeObject } from './tables.js';

const BOOKMARK_MS = 5_000;

export interface WatchOptions { asTable: boolean; include: IncludeObject; resourceVersion?: string; bookmarks: boolean; timeoutSeconds?: number }

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: Store, ri: ResourceInfo, namespace: string | undefined, filter: { label?: string; field?: string }, o: WatchOptions): void {
  const from = o.resourceVersion === undefined || o.resourceVersion === '' || o.resourceVersion === '0' ? null : Number(o.resourceVersion);
  if (from !== null && !Number.isFinite(from)) throw new ApiError(400, 'BadRequest', `invalid resourceVersion ${JSON.stringify(o.resourceVersion)}`);
  const backlog = from === null ? [] : store.eventsAfter(from).filter((e) => e.resource === ri.resource); // 410 before the header
  const inScope = (obj: Obj) => !ri.namespaced || namespace === undefined || obj.metadata.namespace === namespace;
  const matches = (obj: Obj) => inScope(obj) && filterObjects(ri.resource, ri.kind, [obj], filter).length === 1;
  res.writeHead(200, { 'content-type': o.asTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const full = (obj: Obj) => ({ apiVersion: groupVersion(ri), kind: ri.kind, ...obj });
  const write = (type: string, obj: Obj) => {
    const object = type === 'BOOKMARK' ? { apiVersion: groupVersion(ri), kind: ri.kind, metadata: { resourceVersion: obj.metadata.resourceVersion } } : o.asTable ? table(ri.resource, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '', include: o.include, now: Date.now() }) : full(obj);
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  if (from === null) for (const e of store.list(ri, namespace)) if (matches(e.obj)) write('ADDED', e.obj);
  for (const e of backlog) if (matches(e.obj)) write(e.type, e.obj);
  const onEvent = (e: StoreEvent) => {
    if (e.resource === ri.resource && matches(e.obj)) write(e.type, e.obj);
  };
  const unsubscribe = store.subscribe(onEvent);
  const timers: NodeJS.Timeout[] = [];
  if (o.bookmarks) timers.push(setInterval(() => write('BOOKMARK', { metadata: { name: '', resourceVersion: String(store.rv) } }), BOOKMARK_MS));
  const end = () => {
    unsubscribe();
    for (const t of timers) clearInterval(t);
    res.end();
  };
  if (o.timeoutSeconds) timers.push(setTimeout(end, o.timeoutSeconds * 1000));
  req.on('close', end);
}
