/** The three PATCH types (src/apiserver/patch.ts): RFC 6902, RFC 7386 and strategic merge patch as kubectl sends it. */
import { describe, expect, it } from 'vitest';
import { applyPatch, PatchError, patchTypeOf, type PatchType } from '../../src/apiserver/patch.js';

const POD = { apiVersion: 'v1', kind: 'Pod' };

/** Frozen all the way down, so a patcher that writes into its inputs throws in strict mode. */
function frozen<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

/** Objects of `v` that are frozen, i.e. shared with a frozen input. */
function frozenParts(v: unknown, at = ''): string[] {
  if (typeof v !== 'object' || v === null) return [];
  const own = Object.isFrozen(v) ? [at || '/'] : [];
  return [...own, ...Object.entries(v).flatMap(([k, x]) => frozenParts(x, `${at}/${k}`))];
}

/** Applies a patch to frozen inputs (a write into them throws) and checks the result shares none of their objects. */
function run(type: PatchType, doc: unknown, patch: unknown, gvk = POD): unknown {
  const out = applyPatch(type, frozen(doc), frozen(patch), gvk);
  expect(frozenParts(out)).toEqual([]);
  return out;
}

function failure(f: () => unknown): { code: number; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof PatchError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no PatchError');
}

describe('patchTypeOf', () => {
  it.each([
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
    ['application/strategic-merge-patch+json; charset=utf-8', 'strategic'],
    ['Application/Merge-Patch+JSON', 'merge'],
    ['application/apply-patch+yaml', 'apply'],
    ['application/apply-patch+cbor', 'apply'],
    ['application/json', undefined],
    ['text/plain', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (ct, want) => {
    expect(patchTypeOf(ct)).toBe(want);
  });
});

// RFC 6902 Appendix A, as data (A.13, a document with a duplicate "op" member, cannot be written as
// a parsed value). `error` examples must fail with 422, as kube-apiserver answers them.
const RFC6902: [string, unknown, unknown[], unknown | 'error'][] = [
  ['A.1 adding an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
  ['A.2 adding an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
  ['A.3 removing an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  ['A.4 removing an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
  ['A.5 replacing a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
  ['A.6 moving a value', { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }], { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
  ['A.7 moving an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
  ['A.8 testing a value: success', { baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }], { baz: 'qux', foo: ['a', 2, 'c'] }],
  ['A.9 testing a value: error', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], 'error'],
  ['A.10 adding a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
  ['A.11 ignoring unrecognized elements', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
  ['A.12 adding to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], 'error'],
  ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
  ['A.15 comparing strings and numbers', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], 'error'],
  ['A.16 adding an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  // Beyond the appendix: the rules of sections 4 and 5.
  ['add replaces an existing member', { a: 1 }, [{ op: 'add', path: '/a', value: 2 }], { a: 2 }],
  ['add at the root replaces the document', { a: 1 }, [{ op: 'add', path: '', value: [1] }], [1]],
  ['add past the end of an array', { a: [1] }, [{ op: 'add', path: '/a/2', value: 3 }], 'error'],
  ['a leading zero is not an index', { a: [1, 2] }, [{ op: 'remove', path: '/a/01' }], 'error'],
  ['remove of a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }], 'error'],
  ['replace of a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 2 }], 'error'],
  ['replace keeps the member in place', { a: 1, b: 2, c: 3 }, [{ op: 'replace', path: '/b', value: 9 }], { a: 1, b: 9, c: 3 }],
  ['~1 and ~0 in a member name', { 'a/b': { 'c~d': 1 } }, [{ op: 'replace', path: '/a~1b/c~0d', value: 2 }], { 'a/b': { 'c~d': 2 } }],
  ['copy', { a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }, { op: 'add', path: '/c/b/-', value: 2 }], { a: { b: [1] }, c: { b: [1, 2] } }],
  ['move into its own child', { a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/c' }], 'error'],
  ['move onto itself', { a: 1 }, [{ op: 'move', from: '/a', path: '/a' }], { a: 1 }],
  ['test compares objects by members', { a: { x: 1, y: [1, { z: null }] } }, [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }], { a: { x: 1, y: [1, { z: null }] } }],
  ['an unknown op', { a: 1 }, [{ op: 'frob', path: '/a' }], 'error'],
  ['add without a value', { a: 1 }, [{ op: 'add', path: '/b' }], 'error'],
  ['a path without a leading slash', { a: 1 }, [{ op: 'remove', path: 'a' }], 'error'],
  ['operations apply in order, all or nothing', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 2 }], 'error'],
  ['metadata.labels of a Pod', { metadata: { name: 'p', labels: { app: 'x' } } }, [{ op: 'add', path: '/metadata/labels/tier', value: 'web' }, { op: 'remove', path: '/metadata/labels/app' }], { metadata: { name: 'p', labels: { tier: 'web' } } }],
];

describe('JSON patch (RFC 6902)', () => {
  it.each(RFC6902)('%s', (_name, doc, patch, want) => {
    if (want === 'error') expect(failure(() => run('json', doc, patch)).code).toBe(422);
    else expect(run('json', doc, patch)).toEqual(want);
  });

  it('a body that is not a list of operations is a bad request (400)', () => {
    expect(failure(() => run('json', {}, { op: 'add', path: '/a', value: 1 })).code).toBe(400);
  });

  it('added values are copies: the result shares nothing with the patch or the document', () => {
    const value = { deep: [1] };
    const doc = { a: { b: 1 } };
    const out = applyPatch('json', doc, [{ op: 'add', path: '/v', value }], POD) as { v: { deep: number[] }; a: { b: number } };
    out.v.deep.push(2);
    out.a.b = 2;
    expect(value).toEqual({ deep: [1] });
    expect(doc).toEqual({ a: { b: 1 } });
  });
});

// RFC 7386 Appendix A, as data.
const RFC7386: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('JSON merge patch (RFC 7386)', () => {
  it.each(RFC7386)('%j + %j', (doc, patch, want) => {
    expect(run('merge', doc, patch)).toEqual(want);
  });

  it('replaces lists, even those strategic merge patch merges', () => {
    const pod = { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
    expect(run('merge', pod, { spec: { containers: [{ name: 'b', image: 'b:2' }] } })).toEqual({ spec: { containers: [{ name: 'b', image: 'b:2' }] } });
  });
});

// Strategic merge patch, with patches as kubectl apply / edit / patch generate them.
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const SERVICE = { apiVersion: 'v1', kind: 'Service' };
const NETPOL = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' };

const c = (name: string, image: string, extra: Record<string, unknown> = {}) => ({ name, image, ...extra });
const pod = (containers: unknown[], extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, ...extra } });
const order = (...names: string[]) => names.map((name) => ({ name }));

type Case = [name: string, gvk: { apiVersion: string; kind: string }, current: unknown, patch: unknown, want: unknown];

const CASES: Case[] = [
  // kubectl apply / edit: the changed item with its merge key, and the full order of the list.
  ['change the image of one container', POD, pod([c('a', 'a:1'), c('b', 'b:1')]),
    { spec: { '$setElementOrder/containers': order('a', 'b'), containers: [{ image: 'b:2', name: 'b' }] } },
    pod([c('a', 'a:1'), c('b', 'b:2')])],
  ['add a container (in the order $setElementOrder gives)', POD, pod([c('a', 'a:1'), c('b', 'b:1')]),
    { spec: { '$setElementOrder/containers': order('a', 'c', 'b'), containers: [c('c', 'c:1')] } },
    pod([c('a', 'a:1'), c('c', 'c:1'), c('b', 'b:1')])],
  ['add a container without $setElementOrder: the new item comes before the live-only ones (upstream rule)', POD, pod([c('a', 'a:1'), c('b', 'b:1')]),
    { spec: { containers: [c('c', 'c:1')] } },
    pod([c('c', 'c:1'), c('a', 'a:1'), c('b', 'b:1')])],
  ['delete a container with $patch: delete', POD, pod([c('a', 'a:1'), c('b', 'b:1')]),
    { spec: { '$setElementOrder/containers': order('a'), containers: [{ $patch: 'delete', name: 'b' }] } },
    pod([c('a', 'a:1')])],
  ['reorder containers with $setElementOrder only', POD, pod([c('a', 'a:1'), c('b', 'b:1'), c('c', 'c:1')]),
    { spec: { '$setElementOrder/containers': order('c', 'a', 'b') } },
    pod([c('c', 'c:1'), c('a', 'a:1'), c('b', 'b:1')])],
  ['container ports merged by containerPort', POD, pod([c('a', 'a:1', { ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] })]),
    { spec: { '$setElementOrder/containers': order('a'), containers: [{ name: 'a', '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }, { containerPort: 8080 }], ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080 }] }] } },
    pod([c('a', 'a:1', { ports: [{ containerPort: 80, name: 'web' }, { containerPort: 443 }, { containerPort: 8080 }] })])],
  ['env merged by name, valueFrom dropped by null', POD, pod([c('a', 'a:1', { env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] })]),
    { spec: { containers: [{ name: 'a', '$setElementOrder/env': order('A', 'B', 'C'), env: [{ name: 'B', value: '2', valueFrom: null }, { name: 'C', value: '3' }] }] } },
    pod([c('a', 'a:1', { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }] })])],
  ['a list without a patch strategy (args) is replaced', POD, pod([c('a', 'a:1', { args: ['x', 'y'] })]),
    { spec: { containers: [{ name: 'a', args: ['z'] }] } },
    pod([c('a', 'a:1', { args: ['z'] })])],
  ['$patch: replace in a list replaces the whole list', POD, pod([c('a', 'a:1'), c('b', 'b:1')]),
    { spec: { containers: [c('x', 'x:1'), { $patch: 'replace' }] } },
    pod([c('x', 'x:1')])],
  ['volumes: merge,retainKeys clears the other volume source', POD, pod([c('a', 'a:1')], { volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] }),
    { spec: { '$setElementOrder/volumes': order('v', 'w'), volumes: [{ $retainKeys: ['name', 'secret'], name: 'v', secret: { secretName: 's' } }] } },
    pod([c('a', 'a:1')], { volumes: [{ name: 'v', secret: { secretName: 's' } }, { name: 'w', emptyDir: {} }] })],
  ['finalizers: a set, $deleteFromPrimitiveList removes, $setElementOrder orders', POD, { metadata: { name: 'p', finalizers: ['x', 'y'] } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'], '$setElementOrder/finalizers': ['y', 'z'], finalizers: ['z'] } },
    { metadata: { name: 'p', finalizers: ['y', 'z'] } }],
  ['finalizers: union keeps each value once, in order', POD, { metadata: { finalizers: ['x', 'y'] } },
    { metadata: { finalizers: ['y', 'w', 'w'] } },
    { metadata: { finalizers: ['x', 'y', 'w'] } }],
  ['labels: null deletes, others merge', POD, { metadata: { labels: { a: '1', b: '1' } } },
    { metadata: { labels: { a: null, b: '2', c: '3' } } },
    { metadata: { labels: { b: '2', c: '3' } } }],
  ['$patch: replace on a map', POD, { metadata: { labels: { a: '1', b: '1' } } },
    { metadata: { labels: { $patch: 'replace', only: 'this' } } },
    { metadata: { labels: { only: 'this' } } }],
  ['$patch: delete on a map removes it', DEPLOYMENT, { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } },
    { spec: { strategy: { type: 'RollingUpdate' } } }],
  ['Deployment strategy RollingUpdate → Recreate: $retainKeys drops rollingUpdate', DEPLOYMENT,
    { spec: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    { spec: { replicas: 2, strategy: { type: 'Recreate' } } }],
  ['…and with the null kubectl apply also sends', DEPLOYMENT,
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } },
    { spec: { strategy: { type: 'Recreate' } } }],
  ['Deployment: containers of the pod template merged by name', DEPLOYMENT,
    { spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [c('a', 'a:1'), c('b', 'b:1')] } } } },
    { spec: { template: { spec: { '$setElementOrder/containers': order('a', 'b'), containers: [{ name: 'a', image: 'a:2' }] } } } },
    { spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [c('a', 'a:2'), c('b', 'b:1')] } } } }],
  // The swagger: ServiceSpec.ports has x-kubernetes-patch-strategy merge, merge key port.
  ['Service spec.ports merged by port', SERVICE,
    { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] } },
    { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    { spec: { ports: [{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443, targetPort: 8443 }] } }],
  ['NetworkPolicy ingress (no strategy) is replaced', NETPOL,
    { spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }, { ports: [{ port: 80 }] }] } },
    { spec: { ingress: [{ ports: [{ port: 443 }] }] } },
    { spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 443 }] }] } }],
  ['status conditions merged by type', POD,
    { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } },
    { status: { '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }], conditions: [{ type: 'Ready', status: 'True' }] } },
    { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] } }],
  ['a new field takes the patch value, its directives applied', POD, { metadata: { name: 'p' } },
    { spec: { containers: [c('a', 'a:1', { env: [{ name: 'A', value: '1' }] })], '$setElementOrder/containers': order('a') } },
    { metadata: { name: 'p' }, spec: { containers: [c('a', 'a:1', { env: [{ name: 'A', value: '1' }] })] } }],
  ['$patch: delete on the whole object gives an empty object', POD, { metadata: { name: 'p' } }, { $patch: 'delete' }, {}],
];

describe('strategic merge patch', () => {
  it.each(CASES)('%s', (_name, gvk, current, patch, want) => {
    expect(run('strategic', current, patch, gvk)).toEqual(want);
  });

  it.each([
    ['an unknown directive', { metadata: { $frob: 1 } }, 400],
    ['an unknown $patch value in a map', { metadata: { labels: { $patch: 'frob' } } }, 400],
    ['an unknown $patch value in a list', { spec: { containers: [{ name: 'a', $patch: 'frob' }] } }, 400],
    ['$patch: merge in a list', { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }, 400],
    ['a list item without its merge key', { spec: { containers: [{ image: 'x' }] } }, 400],
    ['$patch: delete without the merge key', { spec: { containers: [{ $patch: 'delete' }] } }, 400],
    ['$setElementOrder that is not a list', { spec: { '$setElementOrder/containers': { name: 'a' } } }, 400],
    ['$setElementOrder disagreeing with the patch list', { spec: { '$setElementOrder/containers': order('b', 'a'), containers: [c('a', 'a:2'), c('b', 'b:2')] } }, 400],
    ['$retainKeys not listing a key the patch sets', { spec: { volumes: [{ $retainKeys: ['name'], name: 'v', secret: {} }] } }, 400],
    ['a list of lists', { metadata: { finalizers: [['x']] } }, 422],
    ['a patch that is not an object', [{ op: 'add' }], 400],
  ])('%s is refused (%s)', (_name, patch, code) => {
    expect(failure(() => run('strategic', pod([c('a', 'a:1'), c('b', 'b:1')]), patch)).code).toBe(code);
  });

  it('a kind without strategic-merge-patch metadata (a custom resource) is refused with 415', () => {
    const nad = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition' };
    const f = failure(() => run('strategic', { apiVersion: nad.apiVersion, kind: nad.kind, spec: { config: '{}' } }, { spec: { config: '{"a":1}' } }, nad));
    expect(f).toEqual({ code: 415, message: expect.stringContaining('strategic merge patch is not supported for NetworkAttachmentDefinition') });
    // The same patch as a merge patch is fine.
    expect(run('merge', { spec: { config: '{}' } }, { spec: { config: '{"a":1}' } }, nad)).toEqual({ spec: { config: '{"a":1}' } });
  });
});

describe('all three types', () => {
  it.each(['json', 'merge', 'strategic'] as const)('%s: a member named __proto__ stays a member', (type) => {
    const patch = JSON.parse(type === 'json' ? '[{"op":"add","path":"/a/__proto__","value":{"x":1}}]' : '{"a":{"__proto__":{"x":1}}}');
    const out = run(type, { a: { b: 1 } }, patch) as { a: Record<string, unknown> };
    expect(Object.getPrototypeOf(out.a)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"a":{"b":1,"__proto__":{"x":1}}}'));
  });
});
