/**
 * The web view in a real browser (chromium through puppeteer-core): `podnet ui` on a running lab
 * shows its nodes and pods, a matrix cell's explanation is `podnet explain`'s, a denied probe made
 * during the test shows in the flows view with its policy (and its packet path is drawn), an
 * `apply` shows up; the `analyze -o html` report opened from a file shows `-o json`'s matrix.
 * The lab part needs root, `ip` and `nft`; the report part only chromium.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { clickCell, HAVE_CHROMIUM, heatmapCells, launchBrowser, replaceInput } from './browser.js';
import { CAN_RUN_LAB, TestLab, until } from './helpers.js';
import { policy, removeManifests, writeManifest, type Obj } from './policy-lab.js';

const T = 180_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;

const pod = (name: string, node: string, app: string, port = 8080): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app } },
  spec: { nodeName: node, containers: [{ name: 'main', image: 'podnet/http', ports: [{ containerPort: port }] }] },
});
const service = (name: string, app: string): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] } });
const objects = [
  pod('client', 'node-1', 'client'),
  pod('web-a', 'node-1', 'web'),
  pod('web-b', 'node-2', 'web'),
  pod('db', 'node-2', 'db', 8080),
  service('web', 'web'),
  policy('default', 'db-from-api', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }),
];

afterAll(() => removeManifests());

/** Waits until `selector`'s text holds `want`; if it never does, the error says what it holds. */
async function waitText(page: Page, selector: string, want: string): Promise<void> {
  try {
    await page.waitForFunction((sel, w) => (document.querySelector(sel)?.textContent ?? '').includes(w), {}, selector, want);
  } catch (e) {
    const shown = await page.$eval(selector, (el) => el.textContent).catch(() => null);
    throw new Error(`${selector} never showed ${JSON.stringify(want)}: it shows ${JSON.stringify(shown)} (${(e as Error).message})`);
  }
}

/** Starts `podnet ui` (a process of this test) and resolves with the URL it prints. */
function startUi(start: () => ChildProcess): Promise<{ child: ChildProcess; url: string }> {
  const child = start();
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /podnet ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => reject(new Error(`podnet ui exited ${code}: ${out}${err}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '').catch(() => '');

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT || !HAVE_CHROMIUM)('podnet ui on a lab, in chromium', () => {
  const lab = new TestLab('ui');
  const manifest = writeManifest(objects);
  let ui: { child: ChildProcess; url: string } | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await lab.up(['-f', manifest]);
    ui = await startUi(() => lab.spawn('ui'));
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
  }, T);
  afterAll(async () => {
    await browser?.close();
    await stop(ui?.child);
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('loads and shows the lab\'s nodes (pod CIDRs) and pods (IPs, ready), and the mode', async () => {
    await page.goto(`${ui!.url}#topology`);
    const nodes = await lab.nodes();
    const pods = (await lab.pods()).filter((p) => p.namespace === 'default');
    for (const n of nodes) await page.waitForSelector(`g[data-id="node:${n.name}"]`);
    for (const n of nodes) expect(await text(page, `g[data-id="node:${n.name}"]`)).toContain(n.podCidr);
    // Ready once the agents report the servers listening.
    for (const p of pods) {
      await page.waitForSelector(`g[data-id="pod:${p.key}"] circle.ready`, { timeout: 20_000 });
      expect(await text(page, `g[data-id="pod:${p.key}"]`)).toContain(p.ip);
    }
    expect(await text(page, '#mode')).toContain('routed');
    // Service → endpoints: the web Service's wires end at web-a and web-b.
    expect(await page.$('g[data-id="svc:default/web"]')).not.toBeNull();
  }, T);

  it('a matrix cell\'s explanation is the one `podnet explain` gives', async () => {
    await page.goto(`${ui!.url}#matrix`);
    // The first matrix (TCP/80, asked at mount) is drawn before the port is changed.
    await waitText(page, '.matrix .sub', 'TCP/80 ');
    await replaceInput(page, '#matrix-port', '8080');
    await page.click('button[type=submit]');
    await waitText(page, '.matrix .sub', 'TCP/8080');
    const pods = await page.evaluate(async () => ((await (await fetch('/api/matrix?port=8080')).json()) as { pods: string[] }).pods);
    await clickCell(page, pods.indexOf('default/client'), pods.indexOf('default/db'));
    await waitText(page, '#explain-text', 'DENIED');
    const shown = await text(page, '#explain-text');
    const cli = await runCli(['explain', 'default/client', 'default/db', '--port', '8080', '-f', manifest]);
    expect(cli.code).toBe(0);
    expect(shown.trim()).toBe(cli.stdout.trim());
    expect(shown).toContain('default/db-from-api');
  }, T);

  it('a denied probe shows in the flows view with its policy, and its packet path is drawn', async () => {
    await page.goto(`${ui!.url}#flows`);
    await page.waitForSelector('#flow-table');
    const db = (await lab.pods()).find((p) => p.key === 'default/db')!;
    const [r] = await lab.probeFromPod('default/client', [{ proto: 'tcp', host: db.ip, port: 8080 }]);
    expect(r.ok).toBe(false);
    const row = await page.waitForFunction(
      () => [...document.querySelectorAll('#flow-table tbody tr.denied')].find((tr) => tr.textContent!.includes('default/client') && tr.textContent!.includes('default/db') && tr.textContent!.includes('default/db-from-api')),
      { timeout: 20_000 },
    );
    const tr = row.asElement() as ElementHandle<Element>;
    expect(await tr.evaluate((e) => e.textContent)).toContain('TCP/8080');
    await tr.click();
    await page.waitForSelector('#trace-text');
    expect(await text(page, '#trace-text')).toContain('DENIED');
    // The path: client → node-1 → node-2 (routed) → db, the last hop denied by ingress.
    await page.waitForSelector('#trace .hop.denied');
    expect(await page.$$eval('#trace .hop', (hs) => hs.length)).toBeGreaterThanOrEqual(2);
    expect(await text(page, '#trace .hop.denied')).toContain('ingress DENIED');
  }, T);

  it('an apply shows up in the open page', async () => {
    await page.goto(`${ui!.url}#topology`);
    await page.waitForSelector('g[data-id="pod:default/client"]');
    const added = writeManifest([...objects, pod('late', 'node-1', 'late')]);
    await lab.ok('apply', ['-f', added]);
    const applied = Date.now();
    await page.waitForSelector('g[data-id="pod:default/late"]', { timeout: 10_000 });
    const ms = Date.now() - applied;
    process.stdout.write(`ui: the applied pod showed ${ms} ms after apply returned\n`);
    expect(ms).toBeLessThan(3_000); // ~0.1-0.3 s unloaded: the state file is polled every 100 ms
  }, T);
});

describe.skipIf(!HAVE_CHROMIUM)('analyze -o html, opened from a file in chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), 'podnet-ui-report-'));
  }, T);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the same matrix as -o json, with no network', async () => {
    const args = ['analyze', '-f', 'examples/shop', '--port', '8080'];
    const html = await runCli([...args, '-o', 'html']);
    const json = await runCli([...args, '-o', 'json']);
    expect(html.code).toBe(0);
    const file = join(dir, 'report.html');
    writeFileSync(file, html.stdout);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}#matrix`);
    await page.waitForSelector('#heatmap[data-n]');
    const want = JSON.parse(json.stdout) as { pods: string[]; allowed: boolean[][] };
    expect(await heatmapCells(page)).toEqual(want.allowed);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.goto(`file://${file}#policies`);
    expect(await page.$eval('#view-policies', (e) => e.textContent)).toContain('data/db-from-shop-backends');
  }, T);

  it('analyze -o html shows the cluster policy tiers around the NetworkPolicies, in evaluation order', async () => {
    const html = await runCli(['analyze', '-f', 'test/fixtures/tiers/integration.yaml', '-o', 'html']);
    expect(html.code).toBe(0);
    const file = join(dir, 'tiers.html');
    writeFileSync(file, html.stdout);
    const page = await browser.newPage();
    await page.goto(`file://${file}#policies`);
    await page.waitForSelector('#view-policies');
    const text = (sel: string) => page.$eval(sel, (e) => e.textContent ?? '');
    expect(await text('#tier-admin')).toMatch(/clusternetworkpolicy\/pass-example.*Admin tier, priority 10.*spec\.ingress\[0\] from-slytherin.*Deny/s);
    expect(await text('#tier-baseline')).toContain('clusternetworkpolicy/baseline');
    // The order on the page is the order of evaluation: Admin, NetworkPolicy, Baseline.
    const all = await text('#view-policies');
    const at = ['clusternetworkpolicy/pass-example', 'network-policy-conformance-gryffindor/slytherin-both-ways', 'clusternetworkpolicy/baseline'].map((k) => all.indexOf(k));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  }, T);

  it('diff -o html lists the gained and lost connections', async () => {
    const change = ['diff', '--before', 'test/fixtures/small', '--after', 'test/fixtures/small/cluster.yaml', '--after', 'test/fixtures/diff/policies-after.yaml'];
    const r = await runCli([...change, '-o', 'html']);
    const want = JSON.parse((await runCli([...change, '-o', 'json'])).stdout) as { gained: unknown[]; lost: unknown[] };
    expect(want.gained.length + want.lost.length).toBeGreaterThan(0);
    expect(r.code).toBe(0);
    const file = join(dir, 'diff.html');
    writeFileSync(file, r.stdout);
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    await page.waitForSelector('#view-diff');
    expect(await page.$$eval('#gained tbody tr', (rs) => rs.length)).toBe(want.gained.length);
    expect(await page.$$eval('#lost tbody tr', (rs) => rs.length)).toBe(want.lost.length);
  }, T);
});
