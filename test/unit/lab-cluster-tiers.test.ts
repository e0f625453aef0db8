// A lab enforces cluster policies: its Cluster (what the data plane, probe and matrix use) keeps
// them, and the compiled per-pod sets are those the tiers decide.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { labCluster } from '../../src/api/lab-cluster.js';
import type { LabState } from '../../src/lab/state.js';
import { planNodes, type LabConfig } from '../../src/model/lab.js';
import { compilePolicies } from '../../src/policy/compile.js';

const config: LabConfig = { name: 'tl', nodes: 1, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.30.0/24' };
const yaml = readFileSync(new URL('../fixtures/tiers/priority.yaml', import.meta.url), 'utf8');

describe('cluster policies in a lab', () => {
  it('are in the lab\'s cluster, without a note, as the analyzer reads them', () => {
    const objects = parseManifestText(yaml, 'priority.yaml', []);
    const read = readCluster(objects).clusterPolicies ?? [];
    expect(read.length).toBeGreaterThan(0);
    const state: Pick<LabState, 'config' | 'nodes' | 'objects' | 'placements'> = { config, nodes: planNodes(config, []), objects, placements: [] };
    const cluster = labCluster(state);
    expect(cluster.clusterPolicies?.map((p) => p.name)).toEqual(read.map((p) => p.name));
    expect(cluster.notes.join('\n')).not.toMatch(/not enforced/);
  });

  it('isolate their subjects in the compiled data plane', () => {
    const houses = readFileSync(new URL('../fixtures/tiers/houses.yaml', import.meta.url), 'utf8');
    const objects = [...parseManifestText(houses, 'houses.yaml', []), ...parseManifestText(yaml, 'priority.yaml', [])];
    const cluster = readCluster(objects, { podCidr: '10.244.0.0/16' });
    expect(cluster.pods.filter((p) => p.ip !== '').length).toBeGreaterThan(0);
    const before = compilePolicies({ ...cluster, clusterPolicies: [] }).length;
    expect(compilePolicies(cluster).length).toBeGreaterThan(before);
  });
});
