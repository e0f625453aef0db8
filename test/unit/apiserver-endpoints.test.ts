/** v1 Endpoints from the lab's EndpointSlices (src/apiserver/endpoints.ts) and kubectl's ENDPOINTS column. */
import { describe, expect, it } from 'vitest';
import { endpointsColumn, endpointsOf } from '../../src/apiserver/endpoints.js';

type Raw = Record<string, unknown>;
const svc = (name: string, selector?: Record<string, string>, labels?: Record<string, string>): Raw => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', ...(labels ? { labels } : {}) }, spec: { ...(selector ? { selector } : {}) } });
const ep = (ip: string, ready: boolean | undefined, pod: string, node = 'node-1') => ({ addresses: [ip], conditions: ready === undefined ? {} : { ready, serving: ready, terminating: false }, nodeName: node, targetRef: { kind: 'Pod', name: pod, namespace: 'shop' } });
const slice = (name: string, service: string, ports: Raw[], endpoints: Raw[]): Raw => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports, endpoints });

describe('Endpoints from EndpointSlices', () => {
  it('ready endpoints are addresses, the others notReadyAddresses, sorted by IP; the Service\'s labels; ports without an empty name', () => {
    const [e, ...rest] = endpointsOf([svc('web', { app: 'web' }, { tier: 'front' })], [
      slice('web-a', 'web', [{ name: '', port: 8080, protocol: 'TCP' }], [ep('10.0.0.9', true, 'p9'), ep('10.0.0.10', false, 'p10'), ep('10.0.0.2', undefined, 'p2', 'node-2')]),
    ]);
    expect(rest).toEqual([]);
    expect(e).toEqual({
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'shop', labels: { tier: 'front' } },
      subsets: [{
        addresses: [
          { ip: '10.0.0.2', nodeName: 'node-2', targetRef: { kind: 'Pod', name: 'p2', namespace: 'shop' } },
          { ip: '10.0.0.9', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'p9', namespace: 'shop' } },
        ],
        notReadyAddresses: [{ ip: '10.0.0.10', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'p10', namespace: 'shop' } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }],
    });
  });

  it('a terminating endpoint is left out, unless the Service publishes not-ready addresses (its slice says ready)', () => {
    const term = (ip: string, ready: boolean, pod: string) => ({ ...ep(ip, ready, pod), conditions: { ready, serving: true, terminating: true } });
    const [e] = endpointsOf([svc('web', { app: 'web' })], [slice('web-a', 'web', [{ port: 80, protocol: 'TCP' }], [ep('10.0.0.1', true, 'p1'), term('10.0.0.2', false, 'p2')])]);
    expect(e.subsets).toEqual([{ addresses: [{ ip: '10.0.0.1', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'p1', namespace: 'shop' } }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    const [pub] = endpointsOf([svc('web', { app: 'web' })], [slice('web-a', 'web', [{ port: 80, protocol: 'TCP' }], [term('10.0.0.2', true, 'p2')])]);
    expect((pub.subsets as Raw[])[0].addresses).toEqual([{ ip: '10.0.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'p2', namespace: 'shop' } }]);
  });

  it('one subset per set of ports across the Service\'s slices; other Services\' slices stay out; no endpoints: no subsets; no selector: no Endpoints', () => {
    const out = endpointsOf([svc('api', { app: 'api' }), svc('empty', { app: 'none' }), svc('external')], [
      slice('api-1', 'api', [{ name: 'http', port: 80, protocol: 'TCP' }], [ep('10.0.0.1', true, 'a')]),
      slice('api-2', 'api', [{ name: 'http', port: 8080, protocol: 'TCP' }], [ep('10.0.0.2', true, 'b')]),
      slice('api-3', 'api', [{ name: 'http', port: 80, protocol: 'TCP' }], [ep('10.0.0.3', true, 'c')]),
      slice('other-1', 'other', [{ name: 'http', port: 80, protocol: 'TCP' }], [ep('10.0.0.4', true, 'd')]),
      slice('external-1', 'external', [{ name: 'http', port: 80, protocol: 'TCP' }], [ep('10.0.0.5', true, 'e')]),
    ]);
    expect(out.map((o) => (o.metadata as Raw).name)).toEqual(['api', 'empty']);
    const subsets = out[0]!.subsets as Raw[];
    expect(subsets.map((s) => [(s.addresses as Raw[]).map((a) => a.ip), (s.ports as Raw[])[0]!.port])).toEqual([[['10.0.0.1', '10.0.0.3'], 80], [['10.0.0.2'], 8080]]);
    expect(out[1]!.subsets).toBeUndefined();
  });
});

describe('kubectl\'s ENDPOINTS column', () => {
  const e = (subsets: Raw[]) => ({ subsets });
  it.each([
    ['no subsets', {}, '<none>'],
    ['only not-ready addresses', e([{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }]), ''],
    ['each address with each port', e([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { port: 443 }] }]), '10.0.0.1:80,10.0.0.1:443'],
    ['at most three, then how many more', e([{ addresses: ['1', '2', '3', '4', '5'].map((n) => ({ ip: `10.0.0.${n}` })), ports: [{ port: 80 }] }]), '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...'],
    ['a subset without ports: the IPs', e([{ addresses: [{ ip: '10.0.0.1' }] }]), '10.0.0.1'],
  ])('%s', (_n, o, want) => {
    expect(endpointsColumn(o as Raw)).toBe(want);
  });
});
