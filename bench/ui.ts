/**
 * `npm run bench -- ui`: the web view in Debian's chromium (puppeteer-core, no download).
 * 1. The policy matrix of the analyzer's scenario A (1,000 pods, 1,000 policies) on TCP/8080:
 *    from the page's request to the heat map painted (Performance API: performance.now() in the
 *    page, the frame after drawing), target ≤ 2 s; the analyzer's own computeMatrix time in
 *    this process is the baseline.
 * 2. The flows view fed 1,000 flows/s for 10 s (appended to the flows.jsonl the server tails, as
 *    the lab monitor writes it): frames per second counted with requestAnimationFrame in the
 *    page, each 1 s window ≥ 30 fps, and every flow received; the idle page's rate, measured
 *    just before, is the baseline.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { computeMatrix } from '../src/policy/matrix.js';
import { replaceInput } from '../test/integration/browser.js';
import { uiBundle } from '../src/ui/assets.js';
import { startUiServer } from '../src/ui/server.js';
import { filesSource } from '../src/ui/sources.js';
import { clusterManifests, syntheticCluster, type SyntheticSpec } from './synthetic.js';

/** What the page records (web/env.d.ts). */
declare global {
  interface Window {
    __podnet: { frames: number; flowsReceived: number; matrixMs?: number; matrixDrawn?: number };
  }
}

const A: SyntheticSpec = { seed: 1, namespaces: 50, pods: 1_000, policies: 1_000 };
const MATRIX_TARGET_MS = 2_000;
const FLOWS_PER_S = 1_000;
const FLOW_SECONDS = 10;
const FPS_TARGET = 30;
const CHROMIUM = process.env.PODNET_CHROMIUM ?? '/usr/bin/chromium';

const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function matrixRun(page: Page, url: string): Promise<number> {
  await page.goto(`${url}#matrix`);
  await page.waitForSelector('#matrix-port');
  await replaceInput(page, '#matrix-port', '8080');
  const before = await page.evaluate(() => window.__podnet.matrixDrawn ?? 0);
  await page.click('button[type=submit]');
  await page.waitForFunction((b: number) => (window.__podnet.matrixDrawn ?? 0) > b && window.__podnet.matrixMs !== undefined, { timeout: 60_000 }, before);
  return page.evaluate(() => window.__podnet.matrixMs!);
}

/** Frames counted in the page in each 1 s window for `seconds`. */
async function fpsWindows(page: Page, seconds: number): Promise<number[]> {
  const out: number[] = [];
  let last = await page.evaluate(() => [window.__podnet.frames, performance.now()]);
  for (let i = 0; i < seconds; i++) {
    await sleep(1_000);
    const now = await page.evaluate(() => [window.__podnet.frames, performance.now()]);
    out.push(((now[0] - last[0]) * 1_000) / (now[1] - last[1]));
    last = now;
  }
  return out;
}

function flowLine(i: number): string {
  const denied = i % 3 === 0;
  return JSON.stringify({ time: new Date().toISOString(), node: `node-00${i % 10}`, src: { ip: `10.244.0.${(i % 200) + 2}`, pod: `ns-${String(i % 49).padStart(3, '0')}/pod-${i % 97}` }, dst: { ip: `10.244.1.${(i % 150) + 2}`, pod: `ns-${String((i * 7) % 49).padStart(3, '0')}/pod-${i % 89}` }, protocol: 'TCP', port: 8080, verdict: denied ? 'denied' : 'allowed', ...(denied ? { direction: 'ingress' } : {}), policies: [denied ? 'ns-001/deny' : 'ns-002/allow spec.ingress[0]'] });
}

export async function main(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(`ui: unknown argument ${args[0]}\nusage: npm run bench -- ui\n`);
    return 2;
  }
  const cpu = cpus();
  log(`ui benchmark — node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${CHROMIUM}`);
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bench-ui-'));
  const cluster = syntheticCluster(A);
  const manifests = join(dir, 'a.yaml');
  writeFileSync(manifests, clusterManifests(cluster));
  const flows = join(dir, 'flows.jsonl');
  writeFileSync(flows, '');
  const base: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    computeMatrix(cluster, 8080, 'TCP');
    base.push(performance.now() - t);
  }
  const server = await startUiServer(filesSource([manifests], { nodes: 10, flowsPath: flows }), { bundle: uiBundle() });
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'] });
  let failed = false;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await matrixRun(page, server.url));
    const ms = median(runs);
    const n = await page.$eval('#heatmap', (e) => e.getAttribute('data-n'));
    log(`matrix, scenario A (${n} pods: ${cluster.pods.length} + the lab's cluster DNS pods, ${cluster.policies.length} policies), TCP/8080: ${ms.toFixed(0)} ms median of ${runs.map((x) => x.toFixed(0)).join(', ')} from request to painted heat map (target ≤ ${MATRIX_TARGET_MS} ms: ${ms <= MATRIX_TARGET_MS ? 'PASS' : 'FAIL'})`);
    log(`  baseline: computeMatrix alone in node ${median(base).toFixed(0)} ms → page / analyzer = ${(ms / median(base)).toFixed(1)}×`);
    failed ||= ms > MATRIX_TARGET_MS;

    await page.goto(`${server.url}#flows`);
    await page.waitForSelector('#flow-table');
    const idle = await fpsWindows(page, 3);
    const received0 = await page.evaluate(() => window.__podnet.flowsReceived);
    let written = 0;
    const per = FLOWS_PER_S / 10;
    const writer = setInterval(() => {
      appendFileSync(flows, Array.from({ length: per }, (_, k) => flowLine(written + k)).join('\n') + '\n');
      written += per;
      if (written >= FLOWS_PER_S * FLOW_SECONDS) clearInterval(writer);
    }, 100);
    const busy = await fpsWindows(page, FLOW_SECONDS);
    await sleep(500);
    const received = (await page.evaluate(() => window.__podnet.flowsReceived)) - received0;
    const worst = Math.min(...busy);
    log(`flows view at ${FLOWS_PER_S} flows/s for ${FLOW_SECONDS} s: ${busy.map((f) => f.toFixed(0)).join(' ')} fps per second (worst ${worst.toFixed(0)}, target ≥ ${FPS_TARGET}: ${worst >= FPS_TARGET ? 'PASS' : 'FAIL'}); ${received} of ${written} flows received`);
    log(`  baseline: the idle page ${median(idle).toFixed(0)} fps → busy / idle = ${(median(busy) / median(idle)).toFixed(2)}`);
    failed ||= worst < FPS_TARGET || received !== written;
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  log('the machine is shared: figures vary with its load');
  return failed ? 1 : 0;
}
