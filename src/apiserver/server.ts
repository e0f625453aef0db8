/**
 * The lab's API server: HTTPS on 127.0.0.1, authentication by bearer token or by a client
 * certificate the lab's CA signed (anything else: 401),
 * /version, discovery, OpenAPI v3, and GET/LIST/WATCH of the store's objects as JSON or Table.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { aggregated, discoveryForm, AGGREGATED_V2, AGGREGATED_V2BETA1, legacyCoreVersions, legacyGroup, legacyGroupList, resourceList } from './discovery.js';
import { ApiError, badRequest, statusObject } from './errors.js';
import { EXEC_PROTOCOLS } from './exec-stream.js';
import { openapiDocument, openapiRoot } from './openapi.js';
import { decodeContinue, encodeContinue, filterObjects } from './query.js';
import { parseResourcePath } from './routes.js';
import { groupVersion, isReview, type ResourceInfo } from './resources.js';
import { answerReview, requestUser } from './reviews.js';
import { parseJson, readBody } from './write-support.js';
import type { Obj, Store } from './store.js';
import { table, wantsTable, type IncludeObject } from './tables.js';
import { serveWatch } from './watch.js';
import type { WriteDoor } from './lab-door.js';
import { handleWrite } from './write-routes.js';
import { hasScale, scaleOf } from './scale.js';
import { serveLog, type LogFile } from './logs.js';
import { refuseNonWebSocket, refuseUpgrade, upgradeExec, type ExecRunner } from './exec.js';
import { checkAttach, upgradeAttach } from './attach.js';
import { checkPortForward, upgradePortForward, type PortDialer } from './port-forward.js';

/** kubectl on these machines dispatches on the minor version: report the 1.32 series. */
export const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-podnet', gitCommit: '', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: '', compiler: 'podnet', platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}` };

/**
 * `door` takes writes into the lab; without one the API is read-only (405 for every write).
 * `exec` prepares pods/exec commands; without it exec is not found (404).
 */
export interface ApiServerOptions {
  cert: string;
  key: string;
  /** The CA client certificates must chain to (none: bearer tokens only). */
  clientCA?: string;
  token: string;
  store: Store;
  door?: WriteDoor;
  logFile?: LogFile;
  /** A container's stdin buffer (src/lab/agent/stdin.ts), for `kubectl attach -i`. */
  stdinFile?: LogFile;
  exec?: ExecRunner;
  portForward?: PortDialer;
}

export function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

const sendError = (res: ServerResponse, e: ApiError) => send(res, e.code, statusObject(e));

/**
 * A request is authenticated by either means, as kube-apiserver's union of authenticators: a
 * valid bearer token, or a client certificate that verifies against the client CA ("Any
 * presented client certificate that is signed by one of the authorities in the client-ca-file
 * is authenticated with an identity corresponding to the subject"). Neither: 401.
 */
function authorized(req: IncomingMessage, token: string): boolean {
  if ((req.socket as TLSSocket).authorized === true) return true;
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createApiServer(opts: ApiServerOptions): Server {
  // requestCert without rejectUnauthorized: a client without a certificate (or with one the CA did
  // not sign) still connects, and may authenticate with a token; `authorized` says which.
  const tls = opts.clientCA ? { ca: opts.clientCA, requestCert: true, rejectUnauthorized: false } : {};
  const server = createServer({ cert: opts.cert, key: opts.key, ...tls }, (req, res) => {
    const fail = (e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof ApiError) return sendError(res, e);
      sendError(res, new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    };
    try {
      if (!authorized(req, opts.token)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      void handle(req, res, opts)?.catch(fail);
    } catch (e) {
      fail(e);
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refuse = (e: unknown) => {
      if (socket.destroyed) return;
      refuseUpgrade(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    };
    try {
      if (!authorized(req, opts.token)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const target = parseResourcePath(url.pathname.replace(/\/+$/, ''));
      const ns = target && !('unknown' in target) ? (target.namespace ?? 'default') : '';
      const podTarget = target && !('unknown' in target) && target.ri.resource === 'pods' && target.ri.group === '' && target.name !== undefined;
      // pods/NAME/portforward: SPDY/3.1 by upgrade, or tunnelled in a WebSocket.
      if (podTarget && target.subresource === 'portforward' && opts.portForward) {
        const kind = checkPortForward(opts.store, ns, target.name!, req);
        return upgradePortForward(req, socket, head, kind, opts.store, ns, target.name!, opts.portForward);
      }
      // pods/NAME/attach: the same WebSocket streams (stdin into the container's buffer, output from its log).
      if (podTarget && target.subresource === 'attach' && opts.logFile) {
        if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
          checkAttach(opts.store, ns, target.name!, url.searchParams);
          throw badRequest(`podnet serves pods/attach over WebSocket only (subprotocols ${EXEC_PROTOCOLS.join(', ')}); SPDY is not supported`);
        }
        return upgradeAttach(req, socket, head, opts.store, ns, target.name!, url.searchParams, opts.logFile, opts.stdinFile);
      }
      // pods/NAME/exec upgrades to a WebSocket (GET, as kubectl's WebSocket executor asks).
      if (!podTarget || target.subresource !== 'exec' || !opts.exec) {
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
      // kubectl falls back to SPDY (POST, `Upgrade: SPDY/3.1`) when the WebSocket upgrade fails: the same checks, then a 400.
      if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') refuseNonWebSocket(opts.store, ns, target.name!, url.searchParams);
      upgradeExec(req, socket, head, opts.store, ns, target.name!, url.searchParams, opts.exec).catch(refuse);
    } catch (e) {
      refuse(e);
    }
  });
  return server;
}

function handle(req: IncomingMessage, res: ServerResponse, opts: ApiServerOptions): Promise<void> | void {
  const { store, door } = opts;
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const accept = req.headers.accept;
  if (req.method === 'GET') {
    if (path === '/version') return send(res, 200, VERSION);
    if (['/healthz', '/livez', '/readyz'].includes(path)) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/api' || path === '/apis') {
      const form = discoveryForm(accept);
      if (form !== 'legacy') return send(res, 200, aggregated(path === '/api', form), form === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1);
      return send(res, 200, path === '/api' ? legacyCoreVersions() : legacyGroupList());
    }
    if (path === '/openapi/v3') return send(res, 200, openapiRoot());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiDocument(path.slice('/openapi/v3/'.length));
      if (doc) return send(res, 200, doc);
    }
    const seg = path.split('/').filter(Boolean);
    if (seg[0] === 'api' && seg.length === 2) {
      const list = resourceList('', seg[1]);
      if (list) return send(res, 200, list);
    }
    if (seg[0] === 'apis' && seg.length === 2) {
      const g = legacyGroup(seg[1]);
      if (g) return send(res, 200, g);
    }
    if (seg[0] === 'apis' && seg.length === 3) {
      const list = resourceList(seg[1], seg[2]);
      if (list) return send(res, 200, list);
    }
  }
  const target = parseResourcePath(path);
  if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if ('unknown' in target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const { ri, namespace, name, subresource } = target;
  const q = url.searchParams;
  if (isReview(ri)) return review(req, res, ri, name !== undefined || subresource !== undefined || namespace !== undefined);
  if (subresource === 'exec' && ri.resource === 'pods' && ri.group === '' && name !== undefined && opts.exec && (req.method === 'GET' || req.method === 'POST')) {
    return refuseNonWebSocket(store, namespace ?? 'default', name, q);
  }
  if (subresource === 'attach' && ri.resource === 'pods' && ri.group === '' && name !== undefined && opts.logFile && (req.method === 'GET' || req.method === 'POST')) {
    checkAttach(store, namespace ?? 'default', name, q);
    throw badRequest(`podnet serves pods/attach over WebSocket only (subprotocols ${EXEC_PROTOCOLS.join(', ')}); SPDY is not supported`);
  }
  if (subresource === 'portforward' && ri.resource === 'pods' && ri.group === '' && name !== undefined && opts.portForward) {
    return void checkPortForward(store, namespace ?? 'default', name, req); // throws: no upgrade asked for
  }
  if (req.method !== 'GET') {
    if (!door) throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported: this API is read-only`);
    return handleWrite(req, res, store, door, target, q);
  }
  if (subresource === 'scale' && hasScale(ri) && name !== undefined) return send(res, 200, scaleOf(store.mustGet(ri, namespace ?? '', name).obj));
  if (subresource === 'log' && ri.resource === 'pods' && name !== undefined && opts.logFile) return serveLog(req, res, store, namespace ?? 'default', name, q, opts.logFile);
  if (subresource !== undefined && subresource !== 'status') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
  const asTable = wantsTable(accept);
  if (name !== undefined) {
    const obj = store.mustGet(ri, namespace ?? '', name).obj;
    if (asTable) return send(res, 200, table(ri.resource, [obj], { resourceVersion: String(store.rv), include, now: Date.now() }), 'application/json;as=Table;v=v1;g=meta.k8s.io');
    return send(res, 200, obj);
  }
  const filter = { label: q.get('labelSelector') ?? undefined, field: q.get('fieldSelector') ?? undefined };
  filterObjects(ri.resource, ri.kind, [], filter); // a bad selector is a 400 before anything else
  if (q.get('watch') === 'true' || q.get('watch') === '1') return serveWatch(req, res, store, ri, namespace, filter, { asTable, include, resourceVersion: q.get('resourceVersion') ?? undefined, bookmarks: q.get('allowWatchBookmarks') === 'true', timeoutSeconds: Number(q.get('timeoutSeconds') ?? 0) || undefined });
  list(res, store, ri, namespace, filter, { asTable, include, limit: Number(q.get('limit') ?? 0), cont: q.get('continue') ?? undefined });
}

/** POST of a review: 201 with its answer. Only the collection is routed, and only POST (else 405, as kube-apiserver). */
async function review(req: IncomingMessage, res: ServerResponse, ri: ResourceInfo, notCollection: boolean): Promise<void> {
  if (notCollection) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const user = requestUser(req);
  send(res, 201, answerReview(ri, parseJson(await readBody(req), req.headers['content-type'], true), user));
}

function list(res: ServerResponse, store: Store, ri: ResourceInfo, namespace: string | undefined, filter: { label?: string; field?: string }, o: { asTable: boolean; include: IncludeObject; limit: number; cont?: string }): void {
  const entries = store.list(ri, namespace);
  const start = o.cont ? decodeContinue(o.cont).start : undefined;
  const after = start === undefined ? entries : entries.filter((e) => e.key > start);
  const keyed = new Map<Obj, string>(after.map((e) => [e.obj, e.key]));
  let items = filterObjects(ri.resource, ri.kind, after.map((e) => e.obj), filter);
  let next: string | undefined;
  if (o.limit > 0 && items.length > o.limit) {
    items = items.slice(0, o.limit);
    next = encodeContinue(store.rv, keyed.get(items[items.length - 1])!);
  }
  const rv = String(store.rv);
  if (o.asTable) return send(res, 200, table(ri.resource, items, { resourceVersion: rv, include: o.include, now: Date.now(), continue: next }), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  send(res, 200, {
    kind: `${ri.kind}List`,
    apiVersion: groupVersion(ri),
    metadata: { resourceVersion: rv, ...(next ? { continue: next, remainingItemCount: undefined } : {}) },
    items: items.map((i) => ({ apiVersion: groupVersion(ri), kind: ri.kind, ...i })),
  });
}
