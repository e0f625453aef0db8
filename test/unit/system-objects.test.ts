// The lab's Cluster is pure: its system pods name podnet's programs symbolically, so what
// labCluster returns does not depend on the host (built or not); the lab makes them command
// lines only for its own pods.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/api/load.js';
import { labCluster } from '../../src/api/lab-cluster.js';
import { systemProgramOf } from '../../src/api/system-objects.js';
import { withProgramCommands } from '../../src/lab/program.js';
import { planNodes, type LabConfig } from '../../src/model/lab.js';

const config: LabConfig = { name: 'so', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.31.0/24', dns: true };
const user = `apiVersion: v1
kind: Pod
metadata: {name: sneaky}
spec: {containers: [{name: c, image: x, command: ["podnet:dns/main"]}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
`;

function cluster() {
  return labCluster({ config, nodes: planNodes(config, []), objects: parseManifestText(user, 'user.yaml', []), placements: [] });
}

describe('system objects', () => {
  it('carry symbolic commands, the same on every host', () => {
    const pods = cluster().pods.filter((p) => p.name !== 'sneaky');
    expect(pods.map((p) => `${p.namespace}/${p.containers[0].command?.join(' ')}`).sort()).toEqual([
      'kube-system/podnet:dns/main',
      'kube-system/podnet:dns/main',
      'podnet-ingress/podnet:ingress/main',
    ]);
    expect(JSON.stringify(cluster())).toBe(JSON.stringify(cluster()));
  });

  it('become real command lines for system pods only', () => {
    const pods = cluster().pods;
    const dns = withProgramCommands(pods.find((p) => p.namespace === 'kube-system')!);
    expect(dns.containers[0].command![0]).toBe(process.execPath);
    expect(dns.containers[0].command!.at(-1)).toMatch(/dns[/\\]main\.(js|ts)$/);
    expect(systemProgramOf(dns.containers[0].command)).toBeUndefined();
    const sneaky = pods.find((p) => p.name === 'sneaky')!;
    expect(withProgramCommands(sneaky)).toBe(sneaky);
    expect(systemProgramOf(sneaky.containers[0].command)).toBe('dns/main');
  });
});
