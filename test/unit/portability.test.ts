/**
 * The portability report (src/policy/portability.ts) and the CLI's --semantics / --portability,
 * on test/fixtures/portability: cluster.yaml (2 nodes, pods x/a 10.244.0.5 on node-1, y/b
 * 10.244.1.5 on node-2, y/c 10.244.0.6 on node-1) with differs.yaml (an egress ipBlock holding
 * pod IPs, an ingress ipBlock holding the node IPs), tiers-differs.yaml (the same in a cluster
 * policy's networks peer), agrees.yaml (selectors and an outside
 * ipBlock) or hostnet.yaml (a hostNetwork pod x/h on node-2 in a namespace isolated for ingress).
 */
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../src/api/load.js';
import { readCluster } from '../../src/api/cluster.js';
import { portability, formatPortabilityText } from '../../src/policy/portability.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import { hasStackTrace, runCli } from '../helpers/cli.js';

const DIR = 'test/fixtures/portability';
const load = (...files: string[]) => readCluster(readManifests([`${DIR}/cluster.yaml`, ...files.map((f) => `${DIR}/${f}`)]).objects);
const lines = (r: ReturnType<typeof portability>) => r.differences.map((d) => `${d.from} -> ${d.to} ${d.conns}: ${d.allowedOn} > ${d.deniedOn}`);

describe('portability report', () => {
  it('profiles that differ: pod IPs and node IPs in ipBlocks', () => {
    const r = portability(load('differs.yaml'));
    expect(r.baseline).toBe('upstream');
    expect(r.profiles).toEqual(['upstream', 'cilium', 'np-guard']);
    expect(lines(r)).toEqual([
      'x/a -> y/b TCP/80: upstream > cilium',
      'x/a -> y/b TCP/80: upstream > np-guard',
      // node-2 is y/b's own node: always allowed, left out; np-guard matches node IPs.
      'node/node-1 -> y/b TCP/80: upstream > cilium',
    ]);
    expect(formatPortabilityText(r)).toBe(
      [
        'x/a -> y/b TCP/80: allowed on upstream, denied on cilium: ipBlock 10.244.1.0/24 does not match pod IPs there (networkpolicy x/egress-cidr spec.egress[0])',
        'x/a -> y/b TCP/80: allowed on upstream, denied on np-guard: ipBlock 10.244.1.0/24 does not match pod IPs there (networkpolicy x/egress-cidr spec.egress[0])',
        'node/node-1 -> y/b TCP/80: allowed on upstream, denied on cilium: ipBlock 172.18.0.0/16 does not match node IPs there (networkpolicy y/from-nodes spec.ingress[0])',
        '3 connections differ between upstream and cilium, np-guard (every connection)',
        '',
      ].join('\n'),
    );
  });

  it('cluster policies: a networks peer holding pod IPs, and the Deny the other profiles reach instead', () => {
    const r = portability(load('tiers-differs.yaml'));
    const why = 'networks 10.244.1.0/24 does not match pod IPs there (clusternetworkpolicy web-egress spec.egress[0] (Admin, priority 10): Accept (rule "to-cidr")); clusternetworkpolicy web-egress spec.egress[1] (Admin, priority 10): Deny (rule "nowhere-else") decides it there';
    expect(formatPortabilityText(r)).toBe(
      [
        `x/a -> y/b TCP/80: allowed on upstream, denied on cilium: ${why}`,
        `x/a -> y/b TCP/80: allowed on upstream, denied on np-guard: ${why}`,
        '2 connections differ between upstream and cilium, np-guard (every connection)',
        '',
      ].join('\n'),
    );
  });

  it('profiles that agree: selectors and addresses outside the cluster', () => {
    const r = portability(load('agrees.yaml'));
    expect(r.differences).toEqual([]);
    expect(formatPortabilityText(r)).toBe('portable: upstream, cilium, np-guard agree on every connection between every pod and node\n');
    expect(portability(load()).differences).toEqual([]);
  });

  it('hostNetwork pods: their node on upstream, ordinary pods on np-guard', () => {
    const r = portability(load('hostnet.yaml'));
    expect(lines(r)).toEqual([
      'x/a -> x/h All Connections: upstream > np-guard',
      'y/b -> x/h All Connections: upstream > np-guard',
      'y/c -> x/h All Connections: upstream > np-guard',
      'node/node-1 -> x/h All Connections: upstream > np-guard',
    ]);
    expect(r.differences[1].reasons).toEqual([
      'traffic between a pod and its own node (node-2) is always allowed on upstream, not there',
      'x/h is isolated for ingress there (on upstream: hostNetwork pods are not subject to NetworkPolicy)',
    ]);
  });

  it('one port only; another baseline', () => {
    expect(portability(load('differs.yaml'), { port: 81 }).differences).toEqual([]);
    expect(portability(load('differs.yaml'), { port: 80, protocol: 'UDP' }).differences).toEqual([]);
    const fromCilium = portability(load('differs.yaml'), { baseline: SEMANTICS.cilium, port: 80 });
    expect(fromCilium.profiles).toEqual(['cilium', 'upstream', 'np-guard']);
    expect(lines(fromCilium)).toEqual(['x/a -> y/b TCP/80: upstream > cilium', 'node/node-1 -> y/b TCP/80: upstream > cilium', 'node/node-1 -> y/b TCP/80: np-guard > cilium']);
  });
});

describe.concurrent('CLI: --semantics and --portability', () => {
  const differs = ['-f', `${DIR}/cluster.yaml`, '-f', `${DIR}/differs.yaml`];

  it('analyze --portability -o json --exit-code: exit 1 with differences, 0 without', async () => {
    const r = await runCli(['analyze', ...differs, '--portability', '-o', 'json', '--exit-code']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['baseline', 'profiles', 'port', 'protocol', 'differences']);
    expect(j.differences[0]).toEqual({ from: 'x/a', to: 'y/b', conns: 'TCP/80', allowedOn: 'upstream', deniedOn: 'cilium', reasons: ['ipBlock 10.244.1.0/24 does not match pod IPs there (networkpolicy x/egress-cidr spec.egress[0])'] });
    const ok = await runCli(['analyze', '-f', `${DIR}/cluster.yaml`, '-f', `${DIR}/agrees.yaml`, '--portability', '--exit-code']);
    expect([ok.code, ok.stdout]).toEqual([0, 'portable: upstream, cilium, np-guard agree on every connection between every pod and node\n']);
    const plain = await runCli(['analyze', ...differs, '--portability']);
    expect(plain.code).toBe(0); // no --exit-code: differences are a report, not an error
  });

  it('analyze --port in each profile; connlist keeps np-guard unless told', async () => {
    const upstream = await runCli(['analyze', ...differs, '--port', '80', '-o', 'json']);
    const cilium = await runCli(['analyze', ...differs, '--port', '80', '-o', 'json', '--semantics', 'cilium']);
    const m = (r: { stdout: string }) => JSON.parse(r.stdout) as { pods: string[]; allowed: boolean[][] };
    const at = (r: { stdout: string }, s: string, d: string) => m(r).allowed[m(r).pods.indexOf(s)][m(r).pods.indexOf(d)];
    expect([at(upstream, 'x/a', 'y/b'), at(cilium, 'x/a', 'y/b')]).toEqual([true, false]);
    const npGuard = await runCli(['analyze', ...differs, '-o', 'connlist']);
    const up = await runCli(['analyze', ...differs, '-o', 'connlist', '--semantics', 'upstream']);
    expect(npGuard.stdout).not.toContain('x/a[Pod] => y/b[Pod]');
    expect(up.stdout).toContain('x/a[Pod] => y/b[Pod] : TCP 80');
  });

  it('explain and diff take --semantics', async () => {
    const x = await runCli(['explain', ...differs, 'x/a', 'y/b', '--port', '80', '--semantics', 'cilium']);
    expect(x.stdout.split('\n')[0]).toBe('x/a -> y/b (TCP/80): DENIED (cilium semantics)');
    const j = await runCli(['explain', ...differs, 'x/a', 'y/b', '--port', '80', '-o', 'json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ allowed: true, semantics: 'upstream' });
    const before = ['--before', `${DIR}/cluster.yaml`, '--after', `${DIR}/cluster.yaml`, '--after', `${DIR}/differs.yaml`];
    const d1 = await runCli(['diff', ...before]);
    const d2 = await runCli(['diff', ...before, '--semantics', 'cilium']);
    expect(d1.stdout).not.toContain('- x/a[Pod] => y/b[Pod]');
    expect(d2.stdout).toContain('- x/a[Pod] => y/b[Pod] : All Connections');
  });

  it('trace -f takes --semantics', async () => {
    const args = ['trace', 'x/a', 'y/b', ...differs, '--port', '80', '-o', 'json'];
    const up = JSON.parse((await runCli(args)).stdout);
    const ci = JSON.parse((await runCli([...args, '--semantics', 'cilium'])).stdout);
    expect([up.verdict, up.paths[0].egress.allowed]).toEqual(['ALLOWED', true]);
    expect([ci.verdict, ci.paths[0].egress.allowed, ci.paths[0].egress.allowedBy]).toEqual(['DENIED', false, []]);
  });

  it('bad flags: exit 2, one line, no stack trace', async () => {
    for (const [args, message] of [
      [['analyze', ...differs, '--semantics', 'calico'], /--semantics: "calico" is not one of upstream, cilium, np-guard/],
      [['analyze', ...differs, '--exit-code'], /--exit-code needs --portability/],
      [['analyze', ...differs, '--portability', '-o', 'csv'], /--portability: -o csv is not supported/],
      [['explain', ...differs, 'x/a', 'y/b', '--semantics', 'x'], /--semantics: "x"/],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
  });
});
