// A lab reads and validates cluster policies but does not enforce them yet: its Cluster (what the
// data plane, probe and matrix use) leaves them out, with a note saying so; the analyzer keeps them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { labCluster } from '../../src/api/lab-cluster.js';
import type { LabState } from '../../src/lab/state.js';
import { planNodes, type LabConfig } from '../../src/model/lab.js';

const config: LabConfig = { name: 'tl', nodes: 1, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.30.0/24' };
const yaml = readFileSync(new URL('../fixtures/tiers/priority.yaml', import.meta.url), 'utf8');

describe('cluster policies in a lab', () => {
  it('are left out of the lab\'s cluster with a note, while the analyzer reads them', () => {
    const objects = parseManifestText(yaml, 'priority.yaml', []);
    expect(readCluster(objects).clusterPolicies?.length).toBeGreaterThan(0);
    const state: Pick<LabState, 'config' | 'nodes' | 'objects' | 'placements'> = { config, nodes: planNodes(config, []), objects, placements: [] };
    const cluster = labCluster(state);
    expect(cluster.clusterPolicies).toBeUndefined();
    expect(cluster.notes.join('\n')).toMatch(/cluster polic(y|ies) \(ClusterNetworkPolicy[^)]*\) not enforced by a lab yet/);
  });
});
