// Secondary networks in the analysis commands (no root): explain says NetworkPolicy does not
// apply to them; trace names the interface a connection leaves by; bad NADs and annotations are
// input errors (exit 2, file, object, field path).
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe.concurrent('secondary networks offline', () => {
  it('explain: the verdict is about the cluster network; secondary interfaces are named as not judged', async () => {
    const r = await runCli(['explain', '-f', 'examples/multus', 'default/client', 'default/server', '--port', '8080']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: NetworkPolicy does not apply to secondary interfaces');
    expect(r.stdout).toContain('default/client net1 (default/macvlan-static), default/server net1 (default/macvlan-static)');
    const json = JSON.parse((await runCli(['explain', '-f', 'examples/multus', 'default/plain', 'default/server', '-o', 'json'])).stdout);
    expect(json.secondaryNetworks.interfaces).toEqual(['default/server net1 (default/macvlan-static)']);
    const plain = await runCli(['explain', '-f', 'examples/shop', 'shop/web', 'data/db']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('secondary');
  });

  it('trace to a secondary address: via the source interface on that subnet, no NAT, no policy', async () => {
    const r = await runCli(['trace', '-f', 'examples/multus', 'default/client', '10.10.0.12']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^via\s+net1 \(default\/macvlan-static\)$/m);
    expect(r.stdout).toContain('route   via net1 (10.10.0.11/24, network default/macvlan-static, macvlan) to default/server net1');
    expect(r.stdout).toMatch(/verdict\s+ALLOWED/);
    const unreachable = await runCli(['trace', '-f', 'examples/multus', 'default/plain', '10.10.0.12']);
    expect(unreachable.stdout).toMatch(/default\/plain has no interface on the subnet of 10\.10\.0\.12/);
    expect(unreachable.stdout).toMatch(/verdict\s+UNREACHABLE/);
    const eth0 = await runCli(['trace', '-f', 'examples/multus', 'default/client', 'default/server']);
    expect(eth0.stdout).toMatch(/^via\s+eth0 \(cluster network\)$/m);
  });

  it('a NAD config that is not JSON and a malformed annotation: exit 2 with file, object and path', async () => {
    const yaml = 'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: m}\nspec: {config: "{"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {k8s.v1.cni.cncf.io/networks: "a@b@c"}}\nspec: {containers: [{name: c}]}\n';
    const r = await runCli(['analyze', '-f', '-'], { input: yaml });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: <stdin>: networkattachmentdefinition default/m: spec.config: is not JSON');
    expect(r.stderr).toContain('error: <stdin>: pod default/p: metadata.annotations["k8s.v1.cni.cncf.io/networks"]: "a@b@c": more than one \'@\'');
  });
});
