/**
 * Bad input through the real CLI: one case per class of error. Every problem is reported as
 * `error: FILE: OBJECT: FIELD.PATH: message`, all of them at once, exit code 2, no stack trace.
 * Fixtures: test/fixtures/errors/.
 */
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, type CliResult } from '../helpers/cli.js';

const E = 'test/fixtures/errors';

/** The `error:` lines of stderr, without the prefix. */
function errorLines(r: CliResult): string[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('error: '))
    .map((l) => l.slice('error: '.length));
}

/** Exit 2, nothing on stdout, no stack, exactly these problems and the summary line. */
function expectProblems(r: CliResult, problems: string[]): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(hasStackTrace(r.stderr)).toBe(false);
  expect(errorLines(r)).toEqual(problems);
  const n = problems.length;
  expect(r.stderr).toContain(`podnet: ${n} problem${n === 1 ? '' : 's'} found; nothing was done\n`);
}

const analyze = (...files: string[]) => runCli(['analyze', ...files.flatMap((f) => ['-f', `${E}/${f}`])]);

describe.concurrent('invalid manifests: analyze -f FILE exits 2 naming file, object, field path', () => {
  it('broken YAML: the file and the line', async () => {
    const r = await analyze('broken-yaml.yaml');
    expect(r.code).toBe(2);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const lines = errorLines(r);
    expect(lines).toHaveLength(1);
    // The unclosed flow map opens on line 5; the parser notices it on line 6.
    expect(lines[0]).toMatch(/^test\/fixtures\/errors\/broken-yaml\.yaml: invalid YAML at line [56], column \d+: Flow map [^:]*\}$/);
    expect(r.stderr).toContain('podnet: 1 problem found; nothing was done');
  });

  it('missing required fields: kind, metadata.name, ipBlock.cidr', async () => {
    expectProblems(await analyze('missing-fields.yaml'), [
      `${E}/missing-fields.yaml: document 1: kind: required field is missing`,
      `${E}/missing-fields.yaml: networkpolicy (document 2): metadata.name: required field is missing`,
      `${E}/missing-fields.yaml: networkpolicy default/web: spec.ingress[0].from[0].ipBlock.cidr: required field is missing`,
    ]);
  });

  it('a container port without containerPort is only a warning, not fatal', async () => {
    const r = await runCli(['analyze', '-f', `${E}/container-port-warning.yaml`, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `podnet: warning: ${E}/container-port-warning.yaml: pod default/web: spec.containers[0].ports[0].containerPort: required field is missing; port ignored\n`,
    );
    expect(JSON.parse(r.stdout).pods).toEqual(['default/web']);
  });

  it('invalid selectors: bad operator, In without values, Exists with values, invalid label keys', async () => {
    const at = `${E}/bad-selectors.yaml: networkpolicy default/web`;
    expectProblems(await analyze('bad-selectors.yaml'), [
      `${at}: spec.podSelector.matchExpressions[0].operator: "Equals" is not a valid operator (In, NotIn, Exists, DoesNotExist)`,
      `${at}: spec.podSelector.matchExpressions[1].values: must be non-empty when operator is In`,
      `${at}: spec.podSelector.matchExpressions[2].values: must be empty when operator is Exists`,
      `${at}: spec.podSelector.matchExpressions[3].key: "-bad-key" is not a valid label key`,
      `${at}: spec.ingress[0].from[0].podSelector.matchLabels.bad key!: "bad key!" is not a valid label key`,
    ]);
  });

  it('invalid CIDR', async () => {
    expectProblems(await analyze('bad-cidr.yaml'), [
      `${E}/bad-cidr.yaml: networkpolicy default/web: spec.ingress[0].from[1].ipBlock.cidr: "10.0.0.0/33" is not a valid CIDR`,
    ]);
  });

  it('except outside cidr', async () => {
    expectProblems(await analyze('except-outside.yaml'), [
      `${E}/except-outside.yaml: networkpolicy default/web: spec.egress[0].to[0].ipBlock.except[0]: "10.1.0.0/24" must be a strict subset of cidr "10.0.0.0/16"`,
    ]);
  });

  it('invalid ports: 0, 70000, a bad name', async () => {
    const at = `${E}/bad-ports.yaml: networkpolicy default/web: spec.ingress[0]`;
    expectProblems(await analyze('bad-ports.yaml'), [
      `${at}.ports[0].port: 0 is not a valid port number (1-65535)`,
      `${at}.ports[1].port: 70000 is not a valid port number (1-65535)`,
      `${at}.ports[2].port: "Not_A_Name" is not a valid port name (IANA_SVC_NAME)`,
    ]);
  });

  it('endPort without port, with a named port, smaller than port', async () => {
    const at = `${E}/bad-endport.yaml: networkpolicy default/web: spec.ingress[0]`;
    expectProblems(await analyze('bad-endport.yaml'), [
      `${at}.ports[0].endPort: may not be set when port is not set`,
      `${at}.ports[1].endPort: may not be set when port is a named port`,
      `${at}.ports[2].endPort: 90 must be greater than or equal to port 100`,
    ]);
  });

  it('invalid protocol', async () => {
    expectProblems(await analyze('bad-protocol.yaml'), [
      `${E}/bad-protocol.yaml: networkpolicy default/web: spec.ingress[0].ports[0].protocol: "ICMP" is not a valid protocol (TCP, UDP, SCTP)`,
    ]);
  });

  it('ipBlock combined with podSelector', async () => {
    expectProblems(await analyze('ipblock-with-selector.yaml'), [
      `${E}/ipblock-with-selector.yaml: networkpolicy default/web: spec.ingress[0].from[0]: ipBlock may not be combined with podSelector or namespaceSelector`,
    ]);
  });

  it('empty peer {}', async () => {
    expectProblems(await analyze('empty-peer.yaml'), [
      `${E}/empty-peer.yaml: networkpolicy default/web: spec.egress[0].to[0]: must specify a peer (podSelector, namespaceSelector or ipBlock)`,
    ]);
  });

  it('invalid policyTypes value', async () => {
    expectProblems(await analyze('bad-policytypes.yaml'), [
      `${E}/bad-policytypes.yaml: networkpolicy default/web: spec.policyTypes[1]: "Both" is not a valid policy type (Ingress, Egress)`,
    ]);
  });

  it('the same kind/namespace/name twice across two files: the later wins, as kubectl apply; a warning names the first file', async () => {
    // duplicate-a.yaml omits the namespace (so: default); duplicate-b.yaml also has a Pod "web",
    // which is a different kind and no duplicate.
    const r = await analyze('duplicate-a.yaml', 'duplicate-b.yaml');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`podnet: warning: ${E}/duplicate-b.yaml: networkpolicy default/web: metadata.name: also defined, differently, in ${E}/duplicate-a.yaml (document 1): this later definition wins, as with kubectl apply`);
  });

  it('a path that does not exist', async () => {
    expectProblems(await analyze('no-such-file.yaml'), [`${E}/no-such-file.yaml: no such file or directory`]);
  });

  it('duplicate keys in one YAML mapping are an error, not a silent overwrite', async () => {
    const r = await analyze('duplicate-keys.yaml');
    expect(r.code).toBe(2);
    expect(errorLines(r)[0]).toMatch(/duplicate-keys\.yaml: invalid YAML at line \d+, column \d+: Map keys must be unique/);
  });

  it('a quoted port number is a string, and port names need a letter', async () => {
    const r = await analyze('quoted-port.yaml');
    expect(r.code).toBe(2);
    expect(errorLines(r)).toEqual([
      `${E}/quoted-port.yaml: networkpolicy default/quoted: spec.ingress[0].ports[0].port: "80" is a string: write the port number without quotes, or use a port name`,
    ]);
  });

  it('problems in several files, a broken one among them, are all reported in one run', async () => {
    const r = await analyze('broken-yaml.yaml', 'quoted-port.yaml');
    expect(r.code).toBe(2);
    expect(errorLines(r)).toHaveLength(2);
  });

  it('a pod CIDR that runs out of addresses is an error', async () => {
    const r = await analyze('many-pods.yaml');
    expect(r.code).toBe(2);
    expect(errorLines(r)[0]).toContain('no free IP left in the pod CIDR');
  });

  it('several broken objects in one file: every problem is reported at once', async () => {
    expectProblems(await analyze('many-problems.yaml'), [
      `${E}/many-problems.yaml: networkpolicy prod/a: spec.ingress[0].from[0].ipBlock.cidr: "300.0.0.0/8" is not a valid CIDR`,
      `${E}/many-problems.yaml: networkpolicy prod/b: spec.egress[0].ports[0].protocol: "ICMP" is not a valid protocol (TCP, UDP, SCTP)`,
      `${E}/many-problems.yaml: networkpolicy prod/b: spec.policyTypes[0]: "Sideways" is not a valid policy type (Ingress, Egress)`,
      `${E}/many-problems.yaml: deployment prod/c: spec.selector: does not match template labels (spec.template.metadata.labels)`,
      `${E}/many-problems.yaml: service prod/d: spec.ports[0].port: 99999 is out of range (1-65535)`,
    ]);
  });
});

describe('input that is skipped, not fatal', () => {
  it('unknown kinds (ServiceAccount, ConfigMap, a CRD) and non-Kubernetes documents are skipped with one short note each; exit 0', async () => {
    // not-kubernetes.json is a JSON array of plain records, not-kubernetes.yaml a settings map:
    // neither has kind or apiVersion.
    const files = ['unknown-kinds.yaml', 'not-kubernetes.json', 'not-kubernetes.yaml'];
    const r = await runCli(['analyze', ...files.flatMap((f) => ['-f', `${E}/${f}`]), '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'podnet: skipped 1 ServiceAccount, 2 ConfigMap, 1 Widget (kinds podnet does not model)\n' +
        `podnet: skipped data that is not a Kubernetes object in ${E}/not-kubernetes.json, ${E}/not-kubernetes.yaml\n`,
    );
    // The one Pod among them is analyzed.
    expect(JSON.parse(r.stdout).pods).toEqual(['default/web']);
  });
});

describe.concurrent('bad command-line flags: exit 2 with a clear message', () => {
  const f = ['analyze', '-f', `${E}/unknown-kinds.yaml`];
  it.each([
    [['--port', '0'], 'podnet: --port: "0" is not a port number (1-65535)\n'],
    [['--protocol', 'ICMP'], 'podnet: --protocol: "ICMP" is not one of TCP, UDP, SCTP\n'],
    [['-o', 'xml'], 'podnet: -o: "xml" is not one of text, json, csv, md, dot, connlist, connlist-json, html\n'],
  ])('%j', async (flags, message) => {
    const r = await runCli([...f, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // Flags are checked before the manifests are read: no notes about them either.
    expect(r.stderr).toBe(message);
  });

  it('analyze without -f', async () => {
    const r = await runCli(['analyze']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('podnet: at least one -f PATH is required\n');
  });

  it('an unknown option is a usage error (exit 2), not a crash', async () => {
    const r = await runCli(['analyze', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
