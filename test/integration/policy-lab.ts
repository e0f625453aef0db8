/**
 * The NetworkPolicy test lab, shaped like the upstream e2e netpol suite: namespaces x, y, z with
 * pods a, b, c each (9 pods over 2 nodes), every pod serving TCP 80 ("serve-80-tcp"), TCP 81
 * ("serve-81-tcp") and UDP 53 ("serve-53-udp") with podnet's built-in server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestLab } from './helpers.js';

export type Obj = Record<string, unknown>;
export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const PODS = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));

export function namespaceObjects(labels: Record<string, Record<string, string>> = {}): Obj[] {
  return NAMESPACES.map((ns) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ns, ...(labels[ns] ?? {}) } } }));
}

/** The 9 pods; `labels` adds to (or overrides) a pod's `pod: <name>` label. */
export function podObjects(labels: Record<string, Record<string, string>> = {}): Obj[] {
  return PODS.map((key, i) => {
    const [ns, name] = key.split('/');
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { pod: name, ...(labels[key] ?? {}) } },
      spec: {
        nodeName: i % 2 === 0 ? 'node-1' : 'node-2',
        containers: [
          {
            name: 'cont',
            image: 'agnhost',
            ports: [
              { name: 'serve-80-tcp', containerPort: 80 },
              { name: 'serve-81-tcp', containerPort: 81 },
              { name: 'serve-53-udp', containerPort: 53, protocol: 'UDP' },
            ],
          },
        ],
      },
    };
  });
}

export function policy(ns: string, name: string, spec: Obj): Obj {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

let manifestDir: string | undefined;
let manifests = 0;

/**
 * Writes objects as one multi-document manifest in one temporary directory per test file;
 * `removeManifests()` (in the file's afterAll) removes it.
 */
export function writeManifest(objects: readonly Obj[], name = 'lab.yaml'): string {
  manifestDir ??= mkdtempSync(join(tmpdir(), 'podnet-policy-'));
  const path = join(manifestDir, `${++manifests}-${name}`);
  writeFileSync(path, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  return path;
}

export function removeManifests(): void {
  if (manifestDir) rmSync(manifestDir, { recursive: true, force: true });
  manifestDir = undefined;
}

export interface MatrixJson {
  pods: string[];
  port: number;
  protocol: string;
  allowed: boolean[][];
  expected: boolean[][];
}

/** `podnet matrix -o json`: exit 0 when every probe matches the analyzer, 1 otherwise. */
export async function matrix(lab: TestLab, port = 80, protocol = 'TCP'): Promise<{ m: MatrixJson; code: number | null }> {
  const r = await lab.cli('matrix', ['--port', String(port), '--protocol', protocol, '-o', 'json'], 60_000);
  if (r.code !== 0 && r.code !== 1) throw new Error(`podnet matrix failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { m: JSON.parse(r.stdout) as MatrixJson, code: r.code };
}

/** The pairs where the probes and the analyzer differ, readable. */
export function mismatches(m: MatrixJson): string[] {
  const out: string[] = [];
  m.pods.forEach((s, i) => m.pods.forEach((d, j) => m.allowed[i][j] !== m.expected[i][j] && out.push(`${s} -> ${d}: probe ${m.allowed[i][j]}, analyzer ${m.expected[i][j]}`)));
  return out;
}

/**
 * Checks a matrix against the hand-written rule `want` (upstream semantics, not the analyzer's
 * word), and that probes and analyzer agree. Only the 9 test pods are compared.
 */
export function expectMatrix(m: MatrixJson, want: (src: string, dst: string) => boolean): void {
  expect(mismatches(m)).toEqual([]);
  const got: string[] = [];
  const wanted: string[] = [];
  for (const src of PODS) {
    for (const dst of PODS) {
      const i = m.pods.indexOf(src);
      const j = m.pods.indexOf(dst);
      if (m.allowed[i][j]) got.push(`${src} -> ${dst}`);
      if (src === dst || want(src, dst)) wanted.push(`${src} -> ${dst}`);
    }
  }
  expect(got).toEqual(wanted);
}

/** [from, to, protocol, port, allowed], as the conformance cases state their probes. */
type StepProbe = readonly [string, string, string, number, boolean];

/**
 * A conformance case's step in the lab: `podnet matrix` for each TCP or UDP port its probes use
 * (SCTP is not in the kernel), its real probes equal to the analyzer's, and every probe of the
 * step answered as the case states. `key` maps the case's pod names to the lab's pod keys.
 */
export async function expectStepInLab(lab: TestLab, step: { name: string; probes: readonly StepProbe[] }, key: (s: string) => string): Promise<void> {
  const wanted = step.probes.filter(([, , protocol]) => protocol !== 'SCTP');
  const ports = [...new Set(wanted.map(([, , protocol, port]) => `${protocol}/${port}`))];
  for (const pp of ports) {
    const [protocol, port] = pp.split('/');
    const { m } = await matrix(lab, Number(port), protocol);
    expect(mismatches(m), `${step.name}: ${pp}: probes differ from the analyzer`).toEqual([]);
    for (const [from, to, , , want] of wanted.filter(([, , pr, po]) => `${pr}/${po}` === pp)) {
      const i = m.pods.indexOf(key(from));
      const j = m.pods.indexOf(key(to));
      expect(i >= 0 && j >= 0, `${from} and ${to} are in the matrix`).toBe(true);
      expect(m.allowed[i][j], `${step.name}: ${from} -> ${to} ${pp}`).toBe(want);
    }
  }
}
