/** securityContext, volumes and volumeMounts read from manifests: honoured, warned or refused with field paths. */
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { InputError, type Problem } from '../../src/api/problems.js';
import { removeSeal, renderSeal } from '../../src/render/nft/seal.js';
import { FakeNft } from '../../src/host/nft.js';

const podYaml = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${spec}`;
const read = (spec: string) => readCluster(parseManifestText(podYaml(spec), 'p.yaml', []));
function problems(spec: string): Problem[] {
  try {
    read(spec);
  } catch (e) {
    if (e instanceof InputError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('securityContext and volumes in manifests', () => {
  it('reads pod and container fields, emptyDir volumes and their mounts', () => {
    const c = read(`  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3]}
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    securityContext: {readOnlyRootFilesystem: true, capabilities: {drop: [ALL], add: [CAP_NET_BIND_SERVICE]}}
    volumeMounts: [{name: d, mountPath: /data, readOnly: true}]
`);
    const pod = c.pods[0]!;
    expect(pod.securityContext).toEqual({ runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3] });
    expect(pod.emptyDirs).toEqual(['d']);
    expect(pod.containers[0]!.securityContext).toEqual({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } });
    expect(pod.containers[0]!.volumeMounts).toEqual([{ name: 'd', mountPath: '/data', readOnly: true }]);
    expect(c.notes).toEqual([]);
  });

  it.each([
    ['seccomp', `  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: c}]\n`, 'spec.securityContext.seccompProfile: not applied'],
    ['another volume kind', `  volumes: [{name: cfg, configMap: {name: x}}]\n  containers: [{name: c, volumeMounts: [{name: cfg, mountPath: /cfg}]}]\n`, 'spec.volumes[0]: volume "cfg" (configMap): podnet mounts only emptyDir volumes'],
    ['mount of a missing volume', `  containers: [{name: c, volumeMounts: [{name: x, mountPath: /x}]}]\n`, 'spec.containers[0].volumeMounts[0].name: Not found'],
    ['shareProcessNamespace', `  shareProcessNamespace: true\n  containers: [{name: c}]\n`, 'spec.shareProcessNamespace: not applied'],
    ['tty without stdin', `  containers: [{name: c, tty: true}]\n`, 'spec.containers[0].tty: not applied: a TTY also requires stdin to be true'],
    ['allowPrivilegeEscalation true', `  containers: [{name: c, securityContext: {allowPrivilegeEscalation: true}}]\n`, 'no_new_privs'],
    ['an unknown field', `  containers: [{name: c, securityContext: {runAsUsr: 1}}]\n`, 'spec.containers[0].securityContext.runAsUsr: unknown field'],
  ])('warns: %s', (_name, spec, want) => {
    expect(read(spec).notes.join('\n')).toContain(want);
  });

  it('stdin: a buffer kept open, or closed after the first attach (stdinOnce); stdinOnce alone is nothing; not a bool is refused', () => {
    const c = read(`  containers: [{name: a, stdin: true}, {name: b, stdin: true, stdinOnce: true}, {name: c, stdinOnce: true}, {name: d}]\n`);
    expect(c.pods[0]!.containers.map((x) => x.stdin)).toEqual(['open', 'once', undefined, undefined]);
    const t = read(`  containers: [{name: a, stdin: true, tty: true}, {name: b, tty: true}, {name: c, stdin: true}]\n`);
    expect(t.pods[0]!.containers.map((x) => x.tty)).toEqual([true, undefined, undefined]);
    expect(c.notes.join('\n')).not.toContain('stdin');
    expect(problems(`  containers: [{name: a, stdin: 'yes'}]\n`).map((p) => p.path)).toContain('spec.containers[0].stdin');
  });

  it.each([
    ['unknown capability', `  containers: [{name: c, securityContext: {capabilities: {add: [FLY]}}}]\n`, 'spec.containers[0].securityContext.capabilities.add[0]'],
    ['relative mountPath', `  volumes: [{name: d, emptyDir: {}}]\n  containers: [{name: c, volumeMounts: [{name: d, mountPath: data}]}]\n`, 'spec.containers[0].volumeMounts[0].mountPath'],
    ['privileged without escalation', `  containers: [{name: c, securityContext: {privileged: true, allowPrivilegeEscalation: false}}]\n`, 'spec.containers[0].securityContext.allowPrivilegeEscalation'],
    ['negative uid', `  securityContext: {runAsUser: -1}\n  containers: [{name: c}]\n`, 'spec.securityContext.runAsUser'],
  ])('refuses: %s', (_name, spec, path) => {
    expect(problems(spec).map((p) => p.path)).toContain(path);
  });
});

describe('the lab seal', () => {
  const config = { name: 'l', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24', lbCidr: '100.64.1.0/24' };
  it('drops new connections from the lab to the host and every forward through or for the lab', () => {
    const text = renderSeal(config, 'pn-l').toLines();
    expect(text).toContain('input iifname "pn-l" ct state established,related accept\nadd rule inet podnet-seal-l input iifname "pn-l" counter drop');
    expect(text).toContain('ip daddr { 10.244.0.0/16, 10.96.0.0/12, 100.64.0.0/24, 100.64.1.0/24 } counter drop');
    expect(text.startsWith('add table inet podnet-seal-l\ndelete table inet podnet-seal-l\n')).toBe(true);
  });

  it('is made again and removed idempotently (in-memory nftables)', async () => {
    const nft = new FakeNft();
    await nft.run(null, renderSeal(config, 'pn-l'));
    await nft.run(null, renderSeal(config, 'pn-l'));
    expect(await nft.list(null, 'inet', 'podnet-seal-l')).toEqual({ chains: { input: 2, forward: 3 }, sets: {}, counters: { input: 0, forward: 0 } });
    await nft.run(null, removeSeal('l'));
    await nft.run(null, removeSeal('l'));
    expect(await nft.list(null, 'inet', 'podnet-seal-l')).toBeNull();
  });
});
