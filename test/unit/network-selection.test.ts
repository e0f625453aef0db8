// The k8s.v1.cni.cncf.io/networks annotation (both Multus forms) and NetworkAttachmentDefinitions at the edge.
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { InputError, type Problem } from '../../src/api/problems.js';
import { interfaceNames, parseNetworkSelections, selectionNamespace } from '../../src/model/network-selection.js';

describe('network selection annotation', () => {
  it.each([
    ['one name', 'macvlan-conf', [{ name: 'macvlan-conf' }]],
    ['comma list with spaces', ' a , b ', [{ name: 'a' }, { name: 'b' }]],
    ['namespace/name', 'other/net-a', [{ name: 'net-a', namespace: 'other' }]],
    ['name@ifname', 'net-a@data0', [{ name: 'net-a', interface: 'data0' }]],
    ['namespace/name@ifname', 'other/net-a@data0, net-b', [{ name: 'net-a', namespace: 'other', interface: 'data0' }, { name: 'net-b' }]],
    ['empty', '  ', []],
    ['JSON list', '[{"name":"m","namespace":"x","interface":"n9","ips":["10.1.0.5/24"],"mac":"c2:b0:57:49:47:f1","default-route":["10.1.0.1"],"cni-args":{"k":"v"}}]',
      [{ name: 'm', namespace: 'x', interface: 'n9', ips: ['10.1.0.5/24'], mac: 'c2:b0:57:49:47:f1', defaultRoute: ['10.1.0.1'], cniArgs: { k: 'v' } }]],
    ['JSON list, name only', '[{"name":"m"},{"name":"n"}]', [{ name: 'm' }, { name: 'n' }]],
  ])('%s', (_n, text, want) => {
    expect(parseNetworkSelections(text)).toEqual({ selections: want, errors: [] });
  });

  it.each([
    ['two slashes', 'a/b/c', "more than one '/'"],
    ['two ats', 'a@b@c', "more than one '@'"],
    ['uppercase name', 'MacVlan', 'DNS-1123 label'],
    ['bad namespace', 'Ns_1/a', 'namespace "Ns_1"'],
    ['long interface', 'a@abcdefghijklmnop', 'at most 15 characters'],
    ['interface eth0', 'a@eth0', "cluster network interface"],
    ['same interface twice', 'a@data, b@data', 'interface data is requested twice'],
    ['implicit name taken', 'a, b@net1', 'interface net1 is requested twice'],
    ['broken JSON', '[{"name": ', 'not valid JSON'],
    ['JSON object, not a list', '{"name":"a"}', 'must be a list'],
    ['JSON without name', '[{"interface":"x"}]', 'name is required'],
    ['JSON ips not a list', '[{"name":"a","ips":"10.0.0.1"}]', 'ips must be a list of strings'],
    ['JSON bad ip', '[{"name":"a","ips":["10.0.0.300/24"]}]', 'is not an IPv4 address or CIDR'],
    ['JSON bad mac', '[{"name":"a","mac":"zz:00:00:00:00:00"}]', 'is not a MAC address'],
    ['JSON cni-args not an object', '[{"name":"a","cni-args":[1]}]', 'cni-args must be an object'],
  ])('%s is an error', (_n, text, message) => {
    const r = parseNetworkSelections(text);
    expect(r.selections).toEqual([]);
    expect(r.errors.join('\n')).toContain(message);
  });

  it('names interfaces net<position> unless named (Multus counts every delegate)', () => {
    expect(interfaceNames(parseNetworkSelections('a, b@data, c').selections)).toEqual(['net1', 'data', 'net3']);
  });

  it("defaults the NAD's namespace to the pod's", () => {
    const [a, b] = parseNetworkSelections('a, other/b').selections;
    expect([selectionNamespace(a, 'web'), selectionNamespace(b, 'web')]).toEqual(['web', 'other']);
  });
});

function problems(yaml: string): Problem[] {
  try {
    readCluster(parseManifestText(yaml, 'x.yaml', []));
    return [];
  } catch (e) {
    if (e instanceof InputError) return [...e.problems];
    throw e;
  }
}

const nad = (config: string) => `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: m}\nspec:\n  config: '${config}'\n`;

describe('NetworkAttachmentDefinition and the annotation at the edge', () => {
  it('reads a NAD with a config, a conflist or none', () => {
    const yaml = [nad('{"cniVersion":"1.0.0","name":"m","type":"macvlan","master":"eth0"}'), 'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: from-file, namespace: x}\n'].join('---\n');
    const c = readCluster(parseManifestText(yaml, 'x.yaml', []));
    expect(c.networkAttachmentDefinitions?.map((n) => [n.namespace, n.name, n.config !== undefined])).toEqual([['default', 'm', true], ['x', 'from-file', false]]);
  });

  it.each([
    ['config not JSON', nad('{"cniVersion": '), 'is not JSON'],
    ['no type, no plugins', nad('{"cniVersion":"1.0.0","name":"m"}'), 'neither "type"'],
    ['no cniVersion', nad('{"name":"m","type":"bridge"}'), 'no "cniVersion"'],
    ['bad plugin name', nad('{"cniVersion":"1.0.0","name":"m","plugins":[{"type":"../x"}]}'), 'plugins[0].type'],
  ])('%s: error at spec.config', (_n, yaml, message) => {
    const found = problems(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ object: 'networkattachmentdefinition default/m', path: 'spec.config', message: expect.stringContaining(message) });
  });

  it('a bad annotation is an error naming the pod and the annotation', () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata:\n      labels: {a: b}\n      annotations: {k8s.v1.cni.cncf.io/networks: "a/b/c"}\n    spec: {containers: [{name: c}]}\n';
    const found = problems(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ object: 'deployment default/d', path: 'spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"]' });
  });

  it('pods keep their selections', () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {k8s.v1.cni.cncf.io/networks: "m@data"}}\nspec: {containers: [{name: c}]}\n';
    expect(readCluster(parseManifestText(yaml, 'x.yaml', [])).pods[0].networks).toEqual([{ name: 'm', interface: 'data' }]);
  });
});
