/**
 * The review resources kubectl asks about the caller (`kubectl auth whoami`, `auth can-i`,
 * `auth can-i --list`): created, answered, never stored — POST only, as kube-apiserver
 * registers them. Pure but for reading the request's identity.
 *
 * Who a request is: a client certificate's subject ("the common name of the subject as the user
 * name", organizations as groups — the x509 authenticator); the lab's bearer token is its admin,
 * podnet-admin in system:masters, as the admin certificate says. Every authenticated user is in
 * system:authenticated. `Impersonate-User` / `-Group` / `-Uid` / `-Extra-*` (kubectl --as,
 * --as-group, --as-uid) make the request the impersonated user's, as the admin may.
 *
 * What a request may do: everything. A lab serves no RBAC and its only credentials are the
 * admin's, so its authorizer allows every authenticated request, as system:masters is allowed
 * on a cluster (and as an AlwaysAllow authorizer answers for impersonated users).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ApiError, invalid } from './errors.js';
import type { ResourceInfo } from './resources.js';

export interface UserInfo { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export const ADMIN: UserInfo = { username: 'podnet-admin', groups: ['system:masters'] };
const AUTHENTICATED = 'system:authenticated';

type Headers = Record<string, string[] | undefined>;

/** The user a request authenticated as (`viaCertificate`: the TLS client certificate verified). */
export function requestUser(req: IncomingMessage): UserInfo {
  const socket = req.socket as TLSSocket;
  const viaCertificate = socket.authorized === true;
  const subject = viaCertificate ? socket.getPeerCertificate().subject : undefined;
  const authenticated: UserInfo = subject ? { username: String(subject.CN ?? ''), groups: list(subject.O) } : ADMIN;
  return effectiveUser(authenticated, req.headersDistinct as Headers);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The user after impersonation headers (none: the authenticated one), with system:authenticated
 * added ("the system:authenticated group is included in the list of groups for all
 * authenticated users"). Impersonate-Group without Impersonate-User is a 400, as upstream.
 */
export function effectiveUser(authenticated: UserInfo, headers: Headers): UserInfo {
  const one = (name: string) => headers[name]?.[0];
  const user = one('impersonate-user');
  const groups = headers['impersonate-group'] ?? [];
  const uid = one('impersonate-uid');
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (name.startsWith('impersonate-extra-') && values) extra[decodeURIComponent(name.slice('impersonate-extra-'.length))] = values;
  }
  if (user === undefined) {
    if (groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0) {
      throw new ApiError(400, 'BadRequest', 'requested impersonation of groups, uid or extra without impersonating a user');
    }
    return withAuthenticated(authenticated);
  }
  return withAuthenticated({ username: user, groups: [...groups], ...(uid !== undefined ? { uid } : {}), ...(Object.keys(extra).length > 0 ? { extra } : {}) });
}

function withAuthenticated(u: UserInfo): UserInfo {
  if (u.username === 'system:anonymous' || u.groups.includes(AUTHENTICATED)) return u;
  return { ...u, groups: [...u.groups, AUTHENTICATED] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The created review: the request's spec with its status (creationTimestamp null, as returned upstream). */
export function answerReview(ri: ResourceInfo, body: unknown, user: UserInfo): Record<string, unknown> {
  if (!isObject(body)) throw new ApiError(400, 'BadRequest', `the body of the request must be a ${ri.kind} object`);
  const apiVersion = `${ri.group}/${ri.version}`;
  if ((body.kind !== undefined && body.kind !== ri.kind) || (body.apiVersion !== undefined && body.apiVersion !== apiVersion)) {
    throw new ApiError(400, 'BadRequest', `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  const meta = { ...(isObject(body.metadata) ? body.metadata : {}), creationTimestamp: null };
  const spec = isObject(body.spec) ? body.spec : {};
  const out = { kind: ri.kind, apiVersion, metadata: meta };
  switch (ri.kind) {
    case 'SelfSubjectReview':
      return { ...out, status: { userInfo: user } };
    case 'SelfSubjectAccessReview': {
      // ValidateSelfSubjectAccessReviewSpec: exactly one of the two attribute sets.
      const resource = isObject(spec.resourceAttributes);
      const nonResource = isObject(spec.nonResourceAttributes);
      if (resource && nonResource) throw invalid(ri.kind, '', [{ field: 'spec.nonResourceAttributes', message: 'Invalid value: cannot be specified in combination with resourceAttributes' }], ri.group);
      if (!resource && !nonResource) throw invalid(ri.kind, '', [{ field: 'spec.resourceAttributes', message: 'Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }], ri.group);
      return { ...out, spec, status: { allowed: true } };
    }
    case 'SelfSubjectRulesReview':
      // system:masters' rules: every verb on every resource of every group, and every non-resource URL.
      return {
        ...out,
        spec,
        status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
      };
    default:
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
}
