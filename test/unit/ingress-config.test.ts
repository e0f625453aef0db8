/**
 * What the ingress controller serves besides routes: which Ingresses are podnet's (IngressClass,
 * default class, no class), which certificate answers which SNI name, and the Secret reader's
 * checks (field paths, and never the Secret's content in a message).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/api/problems.js';
import { INGRESS_CONTROLLER, selectIngresses } from '../../src/model/ingress-classes.js';
import { buildTlsTable, secretForServerName } from '../../src/ingress/tls-hosts.js';
import { withSystemObjects } from '../../src/api/system-objects.js';
import { readObjects } from './fixtures.js';

type Obj = Record<string, unknown>;

const cls = (name: string, controller: string, isDefault = false): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  spec: { controller },
});
const ing = (name: string, spec: Obj = {}, annotations: Record<string, string> = {}): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'web', annotations },
  spec: { defaultBackend: { service: { name: 'x', port: { number: 80 } } }, ...spec },
});
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n';
const tlsSecret = (name: string, extra: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'web' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': CERT, 'tls.key': KEY }, ...extra });

function served(objs: Obj[]): string[] {
  return selectIngresses(readObjects(objs)).handled.map((i) => i.name);
}

describe('IngressClass', () => {
  const podnet = cls('podnet', INGRESS_CONTROLLER);
  const nginx = cls('nginx', 'k8s.io/ingress-nginx');

  it('serves its class by spec.ingressClassName or the deprecated annotation, not other classes', () => {
    const objs = [podnet, nginx, ing('a', { ingressClassName: 'podnet' }), ing('b', { ingressClassName: 'nginx' }), ing('c', {}, { 'kubernetes.io/ingress.class': 'podnet' }), ing('d', { ingressClassName: 'gone' })];
    expect(served(objs)).toEqual(['a', 'c']);
    const reasons = selectIngresses(readObjects(objs)).ignored.map((i) => `${i.ingress.name}: ${i.reason}`);
    expect(reasons).toEqual(['b: class "nginx" belongs to "k8s.io/ingress-nginx"', 'd: IngressClass "gone" does not exist']);
  });

  it('any IngressClass naming podnet\'s controller is podnet\'s', () => {
    expect(served([cls('mine', INGRESS_CONTROLLER), ing('a', { ingressClassName: 'mine' })])).toEqual(['a']);
  });

  it('Ingresses without a class: served only when podnet\'s class is the one default', () => {
    expect(served([cls('podnet', INGRESS_CONTROLLER, true), nginx, ing('a')])).toEqual(['a']);
    expect(served([podnet, cls('nginx', 'k8s.io/ingress-nginx', true), ing('a')])).toEqual([]);
    expect(served([podnet, ing('a')])).toEqual([]);
    const two = selectIngresses(readObjects([cls('podnet', INGRESS_CONTROLLER, true), cls('nginx', 'k8s.io/ingress-nginx', true), ing('a')]));
    expect(two.handled).toEqual([]);
    expect(two.ignored[0].reason).toMatch(/2 default IngressClasses/);
  });
});

describe('TLS certificates by SNI', () => {
  const objs = [
    tlsSecret('a'),
    tlsSecret('b'),
    tlsSecret('star'),
    tlsSecret('any'),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'opaque', namespace: 'web' }, stringData: { 'tls.crt': CERT, 'tls.key': KEY } },
    ing('one', { tls: [{ hosts: ['a.test'], secretName: 'a' }, { hosts: ['*.wild.test', 'B.test'], secretName: 'star' }] }),
    ing('two', { tls: [{ hosts: ['b.test'], secretName: 'b' }, { secretName: 'any' }, { hosts: ['x.test'], secretName: 'missing' }, { hosts: ['y.test'], secretName: 'opaque' }, { hosts: ['z.test'] }] }),
  ];
  const table = buildTlsTable(readObjects(objs).ingresses, readObjects(objs).secrets);
  const cases: [string | undefined, string | undefined][] = [
    ['a.test', 'web/a'],
    ['A.TEST.', 'web/a'],
    ['b.test', 'web/star'], // the older Ingress named it first
    ['one.wild.test', 'web/star'],
    ['two.one.wild.test', 'web/any'], // one label only; then the hosts-less entry
    ['wild.test', 'web/any'],
    [undefined, 'web/any'],
  ];
  it.each(cases)('%s → %s', (name, want) => expect(secretForServerName(table, name)).toBe(want));

  it('decodes the pairs and reports entries it cannot serve', () => {
    expect(table.pairs.get('web/a')).toEqual({ cert: CERT, key: KEY });
    expect(table.problems).toEqual([
      'ingress web/two: spec.tls[2]: secret web/missing does not exist',
      'ingress web/two: spec.tls[3]: secret web/opaque is not of type kubernetes.io/tls with tls.crt and tls.key',
      'ingress web/two: spec.tls[4]: no secretName: the default certificate answers',
    ]);
  });
});

describe('Secret reader', () => {
  function problems(secret: Obj): string[] {
    try {
      readObjects([secret]);
      return [];
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return e.problems.map((p) => `${p.object}: ${p.path}: ${p.message}`);
    }
  }

  it('data is base64 and stringData wins over it', () => {
    const c = readObjects([tlsSecret('s', { data: { 'tls.crt': Buffer.from('old').toString('base64'), extra: 'YWJj\nZA==' } })]);
    expect(c.secrets[0].data).toEqual({ 'tls.crt': Buffer.from(CERT).toString('base64'), 'tls.key': Buffer.from(KEY).toString('base64'), extra: 'YWJjZA==' });
  });

  it('reports bad input by field path, never with the value', () => {
    const bad = problems({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'web' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'SECRETKEYMATERIAL!', 'bad key': 'eA==' }, stringData: { n: 42 } });
    expect(bad).toEqual([
      'secret web/s: data[tls.crt]: is not valid base64',
      'secret web/s: data["bad key"]: "bad key" is not a valid key (letters, digits, \'-\', \'_\', \'.\')',
      'secret web/s: stringData[n]: expected a string, found a number',
    ].map((l) => l.replace('data["bad key"]', 'data[bad key]')));
    expect(bad.join('\n')).not.toContain('SECRETKEYMATERIAL');
  });

  it('a TLS Secret without its keys (a redacted dump) is read, with a warning', () => {
    const c = readObjects([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'web' }, type: 'kubernetes.io/tls', data: {} }]);
    expect(c.secrets[0].data).toEqual({});
    expect(c.notes).toEqual([
      'warning: gen.yaml: secret web/s: data[tls.crt]: required for type kubernetes.io/tls: ingress controllers cannot use this Secret',
      'warning: gen.yaml: secret web/s: data[tls.key]: required for type kubernetes.io/tls: ingress controllers cannot use this Secret',
    ]);
  });

  it('PEM that is not a certificate or key is a warning, not an error', () => {
    const c = readObjects([tlsSecret('s', { stringData: { 'tls.crt': 'hello', 'tls.key': KEY } })]);
    expect(c.notes).toEqual(['warning: gen.yaml: secret web/s: data[tls.crt]: is not a PEM certificate: ingress controllers cannot use it']);
  });
});

describe('objects a lab adds for Ingresses (src/api/system-objects.ts)', () => {
  const config = { name: 'lab', nodes: 2, mode: 'routed' as const, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24', dns: false };
  const raw = (obj: Obj) => ({ obj, source: { file: 'user.yaml', doc: 0 }, prefix: '' });
  const keys = (objs: { obj: Obj }[]) => objs.map((o) => `${String(o.obj.kind)}/${String((o.obj.metadata as Obj).name)}`);

  it('nothing without an Ingress; with one: namespace, class, LoadBalancer Service and controller Deployment', () => {
    expect(withSystemObjects(config, [raw(cls('x', 'y'))]).length).toBe(1);
    const all = withSystemObjects(config, [raw(ing('a'))]);
    expect(keys(all)).toEqual(['Namespace/podnet-ingress', 'IngressClass/podnet', 'Service/podnet-ingress-controller', 'Deployment/podnet-ingress-controller', 'Ingress/a']);
    const c = readObjects(all.map((o) => o.obj));
    expect(c.ingressClasses).toEqual([expect.objectContaining({ name: 'podnet', controller: INGRESS_CONTROLLER, isDefault: true })]);
    expect(c.services[0]).toMatchObject({ namespace: 'podnet-ingress', type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }, { port: 443 }] });
    expect(c.pods.filter((p) => p.namespace === 'podnet-ingress').map((p) => p.containers[0].ports.map((x) => x.containerPort))).toEqual([[80, 443]]);
    expect(selectIngresses(c).handled.map((i) => i.name)).toEqual(['a']);
  });

  it('the controller starts only for Ingresses of its class: not for class nginx, nor for classless ones when another class is the default', () => {
    expect(keys(withSystemObjects(config, [raw(cls('nginx', 'k8s.io/ingress-nginx')), raw(ing('a', { ingressClassName: 'nginx' }))]))).toEqual(['IngressClass/nginx', 'Ingress/a']);
    expect(keys(withSystemObjects(config, [raw(ing('a', {}, { 'kubernetes.io/ingress.class': 'alb' }))]))).toEqual(['Ingress/a']);
    expect(keys(withSystemObjects(config, [raw(cls('nginx', 'k8s.io/ingress-nginx', true)), raw(ing('a'))]))).toEqual(['IngressClass/nginx', 'Ingress/a']);
    expect(keys(withSystemObjects(config, [raw(ing('a', { ingressClassName: 'podnet' }))]))).toContain('Deployment/podnet-ingress-controller');
  });

  it("podnet's class is not the default when the user marks another; a user's own `podnet` class wins", () => {
    const withNginx = readObjects(withSystemObjects(config, [raw(cls('nginx', 'k8s.io/ingress-nginx', true)), raw(ing('a', { ingressClassName: 'podnet' }))]).map((o) => o.obj));
    expect(withNginx.ingressClasses.map((c) => [c.name, c.isDefault])).toEqual([['podnet', false], ['nginx', true]]);
    const own = withSystemObjects(config, [raw(cls('podnet', INGRESS_CONTROLLER)), raw(ing('a', { ingressClassName: 'podnet' }))]);
    expect(keys(own).filter((k) => k === 'IngressClass/podnet')).toHaveLength(1);
    expect(readObjects(own.map((o) => o.obj)).ingressClasses[0].isDefault).toBe(false);
  });
});
