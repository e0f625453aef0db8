// Names that become host resources are validated at the edge; lab names guard every path.
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import { InputError, type Problem } from '../../src/api/problems.js';
import { labDir } from '../../src/lab/state.js';
import { runCli } from '../helpers/cli.js';

function problems(yaml: string): Problem[] {
  try {
    readCluster(parseManifestText(yaml, 'x.yaml', []));
    return [];
  } catch (e) {
    if (e instanceof InputError) return [...e.problems];
    throw e;
  }
}

const pod = (meta: string, container = 'c', extra = '') => `apiVersion: v1\nkind: Pod\nmetadata: {${meta}}\nspec:\n  containers: [{name: "${container}"}]\n${extra}`;

describe('names at the edge', () => {
  it.each([
    ['a pod name with a slash', pod('name: "a/b"'), 'metadata.name', 'DNS subdomain'],
    ['a pod name with spaces', pod('name: "My Web"'), 'metadata.name', 'DNS subdomain'],
    ['a namespace name that is not a DNS label', pod('name: p, namespace: "ns.with.dots"'), 'metadata.namespace', 'namespace name'],
    ['a Namespace object with dots', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n', 'metadata.name', 'DNS label'],
    ['a node name with a newline', 'apiVersion: v1\nkind: Node\nmetadata: {name: "n1\\nnetns del x"}\n', 'metadata.name', 'DNS subdomain'],
    ['a container name with a path', pod('name: p', '../../etc/x'), 'spec.containers[0].name', 'container name'],
    ['a bad restartPolicy', pod('name: p', 'c', '  restartPolicy: Sometimes\n'), 'spec.restartPolicy', 'Always, OnFailure, Never'],
  ])('%s is an error', (_n, yaml, path, message) => {
    const found = problems(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path, message: expect.stringContaining(message) });
  });

  it('names of other kinds only label output (real dumps have e.g. allow_web policies)', () => {
    expect(problems('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow_web}\nspec: {podSelector: {}}\n')).toEqual([]);
  });

  it('a container without a name gets one (and a warning), so the agent can run it', () => {
    const c = readCluster(parseManifestText('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{image: x}, {name: b}]\n', 'x.yaml', []));
    expect(c.pods[0].containers.map((x) => x.name)).toEqual(['container-0', 'b']);
    expect(c.notes.join('\n')).toContain('called container-0');
  });

  it('replicas beyond what podnet models are an input error, not an out-of-memory crash', () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 100000000\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c}]}\n';
    expect(problems(yaml)[0]).toMatchObject({ path: 'spec.replicas', message: expect.stringContaining('out of range') });
  });
});

describe('lab names', () => {
  it.each(['..', '.', '../x', 'a/b', 'A', '', 'a_b', 'x'.repeat(12)])('%j is refused before any path is made', (name) => {
    expect(() => labDir(name)).toThrow(/is not a lab name/);
  });

  it('podnet down --name .. exits 2 and removes nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'podnet-names-'));
    mkdirSync(join(root, 'state'));
    mkdirSync(join(root, 'keep'));
    try {
      const r = await runCli(['down', '--name', '..'], { env: { PODNET_STATE_ROOT: join(root, 'state') } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not a lab name');
      expect(readdirSync(root).sort()).toEqual(['keep', 'state']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
