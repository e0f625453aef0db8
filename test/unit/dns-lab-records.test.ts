// Cluster DNS of a lab: headless Services answer with the readiness the Services rules hold.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/api/load.js';
import { labRecords } from '../../src/dns/lab-records.js';
import { normalizeName } from '../../src/dns/records.js';
import type { EndpointConditions } from '../../src/model/endpoints.js';
import type { LabState } from '../../src/lab/state.js';
import { placePods, planNodes, type LabConfig } from '../../src/model/lab.js';
import { readCluster } from '../../src/api/cluster.js';
import { labCluster } from '../../src/api/lab-cluster.js';
import { FakeHost } from '../../src/host/host.js';
import { FakeNft } from '../../src/host/nft.js';
import { syncInto } from '../support/proxy-sync.js';

const config: LabConfig = { name: 'dr', nodes: 1, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.9.0/24' };
const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: db}}\nspec: {containers: [{name: c, ports: [{containerPort: 5432}]}]}\n---\n`;
const headless = (name: string, publish: boolean) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  clusterIP: None\n  publishNotReadyAddresses: ${publish}\n  selector: {app: db}\n  ports: [{port: 5432}]\n---\n`;

function state(endpoints: EndpointConditions | undefined): { state: LabState; ip: (name: string) => string } {
  const objects = parseManifestText(pod('a') + pod('b') + pod('c') + headless('db', false) + headless('db-all', true), 'x.yaml', []);
  const nodes = planNodes(config, []);
  const placements = placePods(config.name, readCluster(objects).pods, nodes).placed;
  const s: LabState = { version: 1, config, phase: 'ready', createdAt: '', nodes, placements, objects, ...(endpoints ? { endpoints: { ...endpoints, at: '', syncs: 1, by: 'controller' as const } } : {}) };
  return { state: s, ip: (name) => placements.find((p) => p.key === `default/${name}`)!.ip };
}

const aRecords = (s: LabState, name: string) =>
  (labRecords(s).byName.get(normalizeName(`${name}.default.svc.cluster.local`)) ?? []).filter((r) => r.type === 'A').map((r) => r.data).sort();

describe('labRecords: headless Services follow recorded readiness', () => {
  it.each<[string, EndpointConditions | undefined, string[], string[]]>([
    ['no readiness recorded yet: every placed pod', undefined, ['a', 'b', 'c'], ['a', 'b', 'c']],
    ['b not ready: gone unless published', { ready: ['default/a', 'default/c'], terminal: [] }, ['a', 'c'], ['a', 'b', 'c']],
    ['c finished: gone even when published', { ready: ['default/a'], terminal: ['default/c'] }, ['a'], ['a', 'b']],
  ])('%s', (_name, endpoints, want, wantPublished) => {
    const { state: s, ip } = state(endpoints);
    expect(aRecords(s, 'db')).toEqual(want.map(ip).sort());
    expect(aRecords(s, 'db-all')).toEqual(wantPublished.map(ip).sort());
  });
});

describe('labRecords: what the Services sync recorded', () => {
  it('answers from the recorded EndpointSlices and allocations, not a derivation of its own', async () => {
    const { state: s, ip } = state(undefined); // no readiness recorded: a derivation would count a, b, c
    const cluster = labCluster(s);
    const onlyA = (key: string) => (key === 'default/a' ? ('ready' as const) : ('notReady' as const));
    await syncInto(new FakeHost(), s, cluster, onlyA, new FakeNft());
    expect(s.endpointSlices?.length).toBeGreaterThan(0);
    expect(aRecords(s, 'db')).toEqual([ip('a')]);
    expect(aRecords(s, 'db-all')).toEqual(['a', 'b', 'c'].map(ip).sort());
    // The recorded slices are what DNS reads: emptied, the headless names have no address.
    expect(aRecords({ ...s, endpointSlices: [] }, 'db')).toEqual([]);
  });
});
