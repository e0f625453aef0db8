// Resolving pods' selections before anything changes: NADs by namespace, configs from the CNI conf
// dir by network name (as Multus reads an empty spec.config), plugins looked up in CNI_PATH.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { InputError } from '../../src/api/problems.js';
import { resolveAttachments } from '../../src/lab/attachments.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-resolve-'));
const saved = { path: process.env.PODNET_CNI_PATH, conf: process.env.PODNET_CNI_CONF_DIR };

beforeAll(() => {
  mkdirSync(join(dir, 'bin'));
  for (const p of ['macvlan', 'static', 'bridge', 'host-local']) {
    writeFileSync(join(dir, 'bin', p), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin', p), 0o755);
  }
  mkdirSync(join(dir, 'net.d'));
  writeFileSync(join(dir, 'net.d', '00-broken.conf'), '{not json');
  writeFileSync(join(dir, 'net.d', '10-other.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'other', type: 'bridge' }));
  writeFileSync(join(dir, 'net.d', '20-from-file.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'from-file', plugins: [{ type: 'bridge', ipam: { type: 'host-local' } }] }));
  process.env.PODNET_CNI_PATH = join(dir, 'bin');
  process.env.PODNET_CNI_CONF_DIR = join(dir, 'net.d');
});

afterAll(() => {
  for (const [k, v] of [['PODNET_CNI_PATH', saved.path], ['PODNET_CNI_CONF_DIR', saved.conf]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

const nad = (ns: string, name: string, config?: string) => `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: ${name}, namespace: ${ns}}\n${config ? `spec: {config: '${config}'}\n` : ''}`;
const pod = (ns: string, name: string, networks: string, extra = '') => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, annotations: {k8s.v1.cni.cncf.io/networks: '${networks}'}}\nspec: {containers: [{name: c}]${extra}}\n`;
const resolve = (...docs: string[]) => resolveAttachments(readCluster(parseManifestText(docs.join('---\n'), 'x.yaml', [])), '/run/podnet/lab');
const messages = (f: () => unknown): string[] => {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof InputError) return e.problems.map((p) => `${p.object}: ${p.path}: ${p.message}`);
    throw e;
  }
};

describe('resolving attachments', () => {
  const mac = '{"cniVersion":"1.0.0","name":"mac","type":"macvlan","master":"eth0","capabilities":{"ips":true},"ipam":{"type":"static"}}';

  it("a name without a namespace is the pod's namespace; ns/name another's; interfaces by position", () => {
    const got = resolve(nad('web', 'mac', mac), nad('shared', 'mac', mac), pod('web', 'p', 'mac, shared/mac'));
    expect(got.get('web/p')!.map((a) => [a.network, a.ifname])).toEqual([['web/mac', 'net1'], ['shared/mac', 'net2']]);
  });

  it('an empty spec.config is the conf dir file naming the network (broken and other files skipped)', () => {
    const [a] = resolve(nad('default', 'from-file'), pod('default', 'p', 'from-file')).get('default/p')!;
    expect([a.config.list, a.config.name, a.config.plugins.map((p) => p.type)]).toEqual([true, 'from-file', ['bridge']]);
    expect(a.invocation.hostLocalDataDir).toBe('/run/podnet/lab/cni/host-local');
  });

  it('passes the selection\'s ips, mac and cni-args on', () => {
    const [a] = resolve(nad('default', 'mac', mac), pod('default', 'p', '[{"name":"mac","ips":["10.1.0.2/24"],"mac":"02:00:00:00:00:01","cni-args":{"x":"y"}}]')).get('default/p')!;
    expect(a.invocation).toMatchObject({ capabilityArgs: { ips: ['10.1.0.2/24'], mac: '02:00:00:00:00:01' }, cniArgs: { x: 'y' } });
  });

  it('hostNetwork pods and pods without the annotation get nothing', () => {
    expect([...resolve(nad('default', 'mac', mac), pod('default', 'h', 'mac', ', hostNetwork: true')).keys()]).toEqual([]);
  });

  it('every problem at once, naming pod, annotation and NAD', () => {
    const found = messages(() => resolve(nad('default', 'exotic', '{"cniVersion":"1.0.0","name":"exotic","type":"sriov"}'), nad('default', 'nofile'), pod('default', 'p', 'missing, other/mac, exotic, nofile')));
    const at = 'pod default/p: metadata.annotations["k8s.v1.cni.cncf.io/networks"]';
    expect(found).toEqual([
      `${at}: NetworkAttachmentDefinition default/missing not found`,
      `${at}: NetworkAttachmentDefinition other/mac not found`,
      `${at}: NetworkAttachmentDefinition default/exotic: CNI plugin "sriov" is not installed (looked in ${join(dir, 'bin')})`,
      `${at}: NetworkAttachmentDefinition default/nofile has no spec.config and no file in ${join(dir, 'net.d')} names network "nofile"`,
    ]);
  });
});
