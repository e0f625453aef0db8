/**
 * The CLI end to end (node --import tsx src/cli/main.ts): analyze in every format, explain, diff,
 * stdin. Golden strings are for test/fixtures/small, checked by hand:
 *
 *   pods (sorted): shop/api 10.0.0.2, shop/db 10.0.0.3, shop/web 10.0.0.1, tools/debug 10.0.1.1
 *   shop: ingress denied by default; web accepts TCP 80 from anywhere; api TCP 8080 from web;
 *         db TCP 5432 from api. tools: no policies. No egress policies. A pod may reach itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, hasStackTrace, runCli, SHARED } from '../helpers/cli.js';

const SMALL = 'test/fixtures/small';
const POLICIES = `${SMALL}/policies.yaml`;

describe.concurrent('analyze: the pod-to-pod matrix', () => {
  it.skipIf(!HAVE_SHARED)('online-boutique --port 8080 --protocol TCP -o json: exactly {"pods","port","protocol","allowed"}', async () => {
    const r = await runCli(['analyze', '-f', join(SHARED, 'manifests', 'online-boutique'), '--port', '8080', '--protocol', 'TCP', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\{"pods":\["[^"]+"(,"[^"]+")*\],"port":8080,"protocol":"TCP","allowed":\[\[(true|false)(,(true|false))*\](,\[(true|false)(,(true|false))*\])*\]\}\n$/);
    const m = JSON.parse(r.stdout);
    expect(Object.keys(m)).toEqual(['pods', 'port', 'protocol', 'allowed']);
    const n = m.pods.length;
    expect(n).toBe(12);
    const sorted = [...m.pods].sort((a: string, b: string) => {
      const [na, pa] = a.split('/');
      const [nb, pb] = b.split('/');
      return na < nb ? -1 : na > nb ? 1 : pa < pb ? -1 : pa > pb ? 1 : 0;
    });
    expect(m.pods).toEqual(sorted);
    expect(m.allowed).toHaveLength(n);
    for (const row of m.allowed) expect(row).toHaveLength(n);
    // Rows are sources: checkoutservice may call emailservice on 8080, not the other way round.
    const at = (name: string) => m.pods.findIndex((p: string) => p.startsWith(`default/${name}-`));
    expect(m.allowed[at('checkoutservice')][at('emailservice')]).toBe(true);
    expect(m.allowed[at('emailservice')][at('checkoutservice')]).toBe(false);
    // Deployments expand to pods named <deployment>-<hash>-<5 chars>.
    for (const p of m.pods) expect(p).toMatch(/^default\/[a-z-]+-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('small fixture, -o json with --port', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '--port', '8080', '--protocol', 'tcp', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '{"pods":["shop/api","shop/db","shop/web","tools/debug"],"port":8080,"protocol":"TCP",' +
        '"allowed":[[true,false,false,true],[false,true,false,true],[true,false,true,true],[false,false,false,true]]}\n',
    );
  });

  it('-o csv', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '--port', '8080', '-o', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'source \\ destination,shop/api,shop/db,shop/web,tools/debug',
        'shop/api,allowed,denied,denied,allowed',
        'shop/db,denied,allowed,denied,allowed',
        'shop/web,allowed,denied,allowed,allowed',
        'tools/debug,denied,denied,denied,allowed',
        '',
      ].join('\n'),
    );
  });

  it('-o md', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '--port', '8080', '-o', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Pod-to-pod connectivity, TCP/8080 (rows: source, columns: destination)',
        '',
        '| source \\ destination | shop/api | shop/db | shop/web | tools/debug |',
        '|---|---|---|---|---|',
        '| shop/api | ✓ | ✗ | ✗ | ✓ |',
        '| shop/db | ✗ | ✓ | ✗ | ✓ |',
        '| shop/web | ✓ | ✗ | ✓ | ✓ |',
        '| tools/debug | ✗ | ✗ | ✗ | ✓ |',
        '',
      ].join('\n'),
    );
  });

  it('-o dot: one edge per allowed pair, no self loops', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '--port', '8080', '-o', 'dot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'digraph podnet {',
        '  rankdir=LR;',
        '  node [shape=box];',
        '  "shop/api";',
        '  "shop/db";',
        '  "shop/web";',
        '  "tools/debug";',
        '  "shop/api" -> "tools/debug";',
        '  "shop/db" -> "tools/debug";',
        '  "shop/web" -> "shop/api";',
        '  "shop/web" -> "tools/debug";',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('-o text (the default)', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '--port', '8080']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Pod-to-pod connectivity, TCP/8080 (rows: source, columns: destination)',
        'Y: allowed, .: denied',
        '',
        '               1 2 3 4',
        '1  shop/api    Y . . Y',
        '2  shop/db     . Y . Y',
        '3  shop/web    Y . Y Y',
        '4  tools/debug . . . Y',
        '',
      ].join('\n'),
    );
  });

  it('without --port: every pair with its allowed connections (text)', async () => {
    const r = await runCli(['analyze', '-f', SMALL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Pod-to-pod connectivity, allowed connections (rows: source, columns: destination)',
        'Y: allowed, .: denied',
        '',
        '               1 2 3 4',
        '1  shop/api    Y Y Y Y',
        '2  shop/db     . Y Y Y',
        '3  shop/web    Y . Y Y',
        '4  tools/debug . . Y Y',
        '',
        'Allowed connections:',
        '  shop/api => shop/db : TCP 5432',
        '  shop/api => shop/web : TCP 80',
        '  shop/api => tools/debug : All Connections',
        '  shop/db => shop/web : TCP 80',
        '  shop/db => tools/debug : All Connections',
        '  shop/web => shop/api : TCP 8080',
        '  shop/web => tools/debug : All Connections',
        '  tools/debug => shop/web : TCP 80',
        '',
      ].join('\n'),
    );
  });

  it('without --port, -o json: port and protocol null, plus the connections of each pair', async () => {
    const r = await runCli(['analyze', '-f', SMALL, '-o', 'json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(Object.keys(m)).toEqual(['pods', 'port', 'protocol', 'allowed', 'connections']);
    expect(m).toEqual({
      pods: ['shop/api', 'shop/db', 'shop/web', 'tools/debug'],
      port: null,
      protocol: null,
      allowed: [
        [true, true, true, true],
        [false, true, true, true],
        [true, false, true, true],
        [false, false, true, true],
      ],
      connections: [
        ['All Connections', 'TCP 5432', 'TCP 80', 'All Connections'],
        ['No Connections', 'All Connections', 'TCP 80', 'All Connections'],
        ['TCP 8080', 'No Connections', 'All Connections', 'All Connections'],
        ['No Connections', 'No Connections', 'TCP 80', 'All Connections'],
      ],
    });
  });

  it('-f - reads the manifests from stdin', async () => {
    const input = `${readFileSync(`${SMALL}/cluster.yaml`, 'utf8')}\n---\n${readFileSync(POLICIES, 'utf8')}`;
    const r = await runCli(['analyze', '-f', '-', '--port', '8080', '-o', 'json'], { input });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      pods: ['shop/api', 'shop/db', 'shop/web', 'tools/debug'],
      port: 8080,
      protocol: 'TCP',
      allowed: [
        [true, false, false, true],
        [false, true, false, true],
        [true, false, true, true],
        [false, false, false, true],
      ],
    });
  });
});

describe.concurrent('explain', () => {
  it('allowed: names the deciding policy, rule and file', async () => {
    const r = await runCli(['explain', '-f', SMALL, 'shop/web', 'shop/api', '--port', '8080']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'shop/web -> shop/api (TCP/8080): ALLOWED',
        '  egress from shop/web: allowed (no policy selects it for egress)',
        '  ingress to shop/api: allowed',
        `    isolated by networkpolicy shop/default-deny (${POLICIES})`,
        `    isolated by networkpolicy shop/allow-api (${POLICIES})`,
        `    allowed by networkpolicy shop/allow-api spec.ingress[0] (${POLICIES}): TCP 8080`,
        '',
      ].join('\n'),
    );
  });

  it('denied: the isolating policies, and that no rule allows it', async () => {
    const r = await runCli(['explain', '-f', SMALL, 'tools/debug', 'shop/db', '--port', '5432']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'tools/debug -> shop/db (TCP/5432): DENIED',
        '  egress from tools/debug: allowed (no policy selects it for egress)',
        '  ingress to shop/db: denied',
        `    isolated by networkpolicy shop/default-deny (${POLICIES})`,
        `    isolated by networkpolicy shop/allow-db (${POLICIES})`,
        '    no rule of these policies allows TCP/5432 from tools/debug',
        '',
      ].join('\n'),
    );
  });

  it('denied, -o json', async () => {
    const r = await runCli(['explain', '-f', SMALL, 'tools/debug', 'shop/db', '--port', '5432', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      from: 'tools/debug',
      to: 'shop/db',
      port: 5432,
      protocol: 'TCP',
      allowed: false,
      semantics: 'upstream',
      conns: 'No Connections',
      egress: { direction: 'egress', pod: 'tools/debug', allowed: true, exempt: 'no policy selects it for egress', selectedBy: [], allowedBy: [] },
      ingress: {
        direction: 'ingress',
        pod: 'shop/db',
        allowed: false,
        selectedBy: [
          { policy: 'shop/default-deny', file: POLICIES },
          { policy: 'shop/allow-db', file: POLICIES },
        ],
        allowedBy: [],
      },
    });
  });

  it('an IP address as the source, -o json', async () => {
    const r = await runCli(['explain', '-f', SMALL, '192.168.1.5', 'shop/web', '--port', '80', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      from: '192.168.1.5',
      to: 'shop/web',
      port: 80,
      protocol: 'TCP',
      allowed: true,
      semantics: 'upstream',
      conns: 'TCP 80',
      egress: { direction: 'egress', pod: null, allowed: true, exempt: 'not a pod: no policy applies outside the cluster', selectedBy: [], allowedBy: [] },
      ingress: {
        direction: 'ingress',
        pod: 'shop/web',
        allowed: true,
        selectedBy: [
          { policy: 'shop/default-deny', file: POLICIES },
          { policy: 'shop/allow-web', file: POLICIES },
        ],
        allowedBy: [{ policy: 'shop/allow-web', file: POLICIES, rule: 'spec.ingress[0]', conns: 'TCP 80' }],
      },
    });
  });

  it('without --port; an IP address as the destination (text)', async () => {
    const r = await runCli(['explain', '-f', SMALL, 'shop/api', '8.8.8.8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'shop/api -> 8.8.8.8 (any connection): ALLOWED',
        '  egress from shop/api: allowed (no policy selects it for egress)',
        '  ingress to 8.8.8.8: allowed (not a pod: no policy applies outside the cluster)',
        '  allowed connections: All Connections',
        '',
      ].join('\n'),
    );
  });

  it('an unknown endpoint is a usage error', async () => {
    const r = await runCli(['explain', '-f', SMALL, 'shop/nope', 'shop/web']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('podnet: no pod or workload "shop/nope" in the manifests\n');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});

describe.concurrent('diff', () => {
  // policies-after.yaml: web only from inside the cluster (lost: external sources), api also from
  // the tools namespace (gained), db on 5432-5433 instead of 5432 (changed).
  const change = ['diff', '--before', SMALL, '--after', `${SMALL}/cluster.yaml`, '--after', 'test/fixtures/diff/policies-after.yaml'];

  it('text: gained, lost and changed, sorted by source and destination', async () => {
    const r = await runCli(change);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '- 0.0.0.0-255.255.255.255[External] => shop/web[Pod] : TCP 80',
        '~ shop/api[Pod] => shop/db[Pod] : TCP 5432 -> TCP 5432-5433',
        '+ tools/debug[Pod] => shop/api[Pod] : TCP 8080',
        '1 gained, 1 lost, 1 changed',
        '',
      ].join('\n'),
    );
  });

  it('json, and --exit-code returns 1 on change', async () => {
    const r = await runCli([...change, '-o', 'json', '--exit-code']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      gained: [{ src: 'tools/debug[Pod]', dst: 'shop/api[Pod]', conn: 'TCP 8080' }],
      lost: [{ src: '0.0.0.0-255.255.255.255[External]', dst: 'shop/web[Pod]', conn: 'TCP 80' }],
      changed: [{ src: 'shop/api[Pod]', dst: 'shop/db[Pod]', before: 'TCP 5432', after: 'TCP 5432-5433' }],
    });
  });

  it('--exit-code returns 0 when nothing changed (json)', async () => {
    const r = await runCli(['diff', '--before', SMALL, '--after', SMALL, '-o', 'json', '--exit-code']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ gained: [], lost: [], changed: [] });
  });

  it('--before from stdin; text when nothing changed', async () => {
    const input = `${readFileSync(`${SMALL}/cluster.yaml`, 'utf8')}\n---\n${readFileSync(POLICIES, 'utf8')}`;
    const r = await runCli(['diff', '--before', '-', '--after', SMALL, '--exit-code'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no connectivity changes\n');
  });
});
