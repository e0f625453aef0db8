// The ingress controller serves the endpoints the Services sync recorded (proxy/sync.ts): the table
// the nodes hold, derived once there; a derivation of its own only while none is recorded.
import { describe, expect, it } from 'vitest';
import { labCluster } from '../../src/api/lab-cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { FakeHost } from '../../src/host/host.js';
import { FakeNft } from '../../src/host/nft.js';
import { configFromState } from '../../src/ingress/config.js';
import type { LabState } from '../../src/lab/state.js';
import { placePods, planNodes, type LabConfig } from '../../src/model/lab.js';
import { syncInto } from '../support/proxy-sync.js';

const config: LabConfig = { name: 'il', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.32.0/24', lbCidr: '100.64.33.0/24' };
const yaml = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
`;

function lab(): LabState {
  const objects = parseManifestText(yaml, 'x.yaml', []);
  const nodes = planNodes(config, []);
  const placements = placePods(config.name, labCluster({ config, nodes, objects, placements: [] }).pods, nodes).placed;
  return { version: 1, config, phase: 'ready', createdAt: '', nodes, placements, objects };
}

const backends = (s: LabState) => [configFromState(s).routes.defaultBackend!.endpoints.map((e) => e.ip).sort()];

describe('ingress config from a lab', () => {
  it('follows the recorded table, not a derivation of its own', async () => {
    const s = lab();
    const web = s.placements.filter((p) => p.key.startsWith('default/web-')).map((p) => p.ip).sort();
    expect(backends(s)).toEqual([web]); // nothing recorded yet: every placed pod serves
    const first = s.placements.find((p) => p.key.startsWith('default/web-'))!;
    await syncInto(new FakeHost(), s, labCluster(s), (key) => (key === first.key ? 'ready' : 'notReady'), new FakeNft());
    expect(backends(s)).toEqual([[first.ip]]);
    // While a sync is under way (no table recorded), the recorded readiness decides: none is recorded in this state.
    expect(backends({ ...s, proxyTable: null })).toEqual([web]);
  });
});
