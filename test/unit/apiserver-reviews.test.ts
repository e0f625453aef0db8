// src/apiserver/reviews.ts: who a request is (certificate subject, the token's admin,
// impersonation headers) and the answers of the review resources kubectl auth creates.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/apiserver/errors.js';
import { decodeProtobuf } from '../../src/apiserver/protobuf.js';
import { findResource, isReview, resourceOfKind, STORED_RESOURCES } from '../../src/apiserver/resources.js';
import { ADMIN, answerReview, effectiveUser, requestUser } from '../../src/apiserver/reviews.js';
import { ld, str } from './protobuf-encode.js';

const SSAR = findResource('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!;
const RULES = findResource('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews')!;
const WHOAMI = findResource('authentication.k8s.io', 'v1', 'selfsubjectreviews')!;

const fakeRequest = (socket: object, headers: Record<string, string[]> = {}) => ({ socket, headersDistinct: headers }) as unknown as IncomingMessage;
const failure = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('no error');
};

describe('who a request is', () => {
  it('a verified client certificate: CN the user, each O a group; otherwise (the bearer token) the lab admin', () => {
    const cert = (subject: object) => fakeRequest({ authorized: true, getPeerCertificate: () => ({ subject }) });
    expect(requestUser(cert({ CN: 'alice', O: ['dev', 'ops'] }))).toEqual({ username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
    expect(requestUser(cert({ CN: 'bob', O: 'dev' }))).toEqual({ username: 'bob', groups: ['dev', 'system:authenticated'] });
    expect(requestUser(cert({ CN: 'carol' }))).toEqual({ username: 'carol', groups: ['system:authenticated'] });
    const unverified = fakeRequest({ authorized: false, getPeerCertificate: () => ({ subject: { CN: 'mallory' } }) });
    expect(requestUser(unverified)).toEqual({ username: ADMIN.username, groups: [...ADMIN.groups, 'system:authenticated'] });
  });

  it('impersonation headers replace the user (groups, uid, extra with its escaped key); groups alone are a 400', () => {
    const admin = { username: 'podnet-admin', groups: ['system:masters'] };
    expect(effectiveUser(admin, {})).toEqual({ username: 'podnet-admin', groups: ['system:masters', 'system:authenticated'] });
    expect(effectiveUser({ username: 'x', groups: ['system:authenticated'] }, {}).groups).toEqual(['system:authenticated']);
    expect(effectiveUser(admin, { 'impersonate-user': ['jane'], 'impersonate-group': ['a', 'b'], 'impersonate-uid': ['42'], 'impersonate-extra-scopes%2Fview': ['x', 'y'] })).toEqual({
      username: 'jane', uid: '42', groups: ['a', 'b', 'system:authenticated'], extra: { 'scopes/view': ['x', 'y'] },
    });
    expect(effectiveUser(admin, { 'impersonate-user': ['system:anonymous'] })).toEqual({ username: 'system:anonymous', groups: [] });
    expect(failure(() => effectiveUser(admin, { 'impersonate-group': ['a'] })).code).toBe(400);
  });
});

describe('the review resources', () => {
  it('are created only, and never stored objects', () => {
    for (const ri of [SSAR, RULES, WHOAMI]) {
      expect(isReview(ri)).toBe(true);
      expect(STORED_RESOURCES).not.toContain(ri);
    }
    expect(resourceOfKind('authorization.k8s.io/v1', 'SelfSubjectAccessReview')).toBeUndefined();
    expect(isReview(findResource('', 'v1', 'pods')!)).toBe(false);
  });

  it('SelfSubjectAccessReview: allowed, with exactly one of resourceAttributes and nonResourceAttributes (else 422 naming the field)', () => {
    const spec = { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } };
    expect(answerReview(SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec }, ADMIN)).toEqual({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status: { allowed: true },
    });
    const both = failure(() => answerReview(SSAR, { spec: { ...spec, nonResourceAttributes: { path: '/healthz', verb: 'get' } } }, ADMIN));
    expect([both.code, both.message]).toEqual([422, expect.stringContaining('spec.nonResourceAttributes: Invalid value: cannot be specified in combination with resourceAttributes')]);
    const none = failure(() => answerReview(SSAR, { spec: {} }, ADMIN));
    expect([none.code, none.message]).toEqual([422, expect.stringContaining('spec.resourceAttributes: Invalid value: exactly one of')]);
    expect(failure(() => answerReview(SSAR, { apiVersion: 'v1', kind: 'Pod' }, ADMIN)).code).toBe(400);
    expect(failure(() => answerReview(SSAR, [1], ADMIN)).code).toBe(400);
  });

  it('SelfSubjectRulesReview: every verb on everything; SelfSubjectReview: the user', () => {
    expect(answerReview(RULES, { spec: { namespace: 'default' } }, ADMIN)).toMatchObject({
      spec: { namespace: 'default' },
      status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
    });
    const user = { username: 'jane', groups: ['system:authenticated'] };
    expect(answerReview(WHOAMI, { metadata: { name: 'x' } }, user)).toEqual({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { name: 'x', creationTimestamp: null }, status: { userInfo: user } });
  });

  it('kubectl auth can-i sends the review as protobuf: it decodes to its JSON form', () => {
    // ResourceAttributes: namespace 1, verb 2, group 3, resource 5 (k8s.io/api authorization/v1 generated.proto).
    const attrs = [...str(1, 'kube-system'), ...str(2, 'create'), ...str(3, 'apps'), ...str(5, 'deployments')];
    const review = [...ld(1, []), ...ld(2, ld(1, attrs)), ...ld(3, [])];
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...ld(1, [...str(1, 'authorization.k8s.io/v1'), ...str(2, 'SelfSubjectAccessReview')]), ...ld(2, review)]);
    const { object } = decodeProtobuf(body);
    expect(object).toMatchObject({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'kube-system', verb: 'create', group: 'apps', resource: 'deployments' } } });
    expect(answerReview(SSAR, object, ADMIN)).toMatchObject({ status: { allowed: true } });
  });
});
