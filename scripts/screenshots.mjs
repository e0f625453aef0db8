// The screenshots themselves (scripts/screenshots.sh sets up the lab and the report):
// node scripts/screenshots.mjs UI_URL REPORT_HTML OUT_DIR
import puppeteer from 'puppeteer-core';

const [url, report, out] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.PODNET_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'],
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 760 });
const shot = (name) => page.screenshot({ path: `${out}/ui-${name}.png` });
const settle = () => new Promise((r) => setTimeout(r, 400));

// Topology: nodes with pod CIDRs, pods (ready), Services → endpoints, Ingress → Services.
await page.goto(`${url}#topology`);
await page.waitForSelector('g[data-id^="pod:"] circle.ready');
await settle();
await shot('topology');

// Policy matrix on TCP/8080 with real probes beside each cell, and one cell explained.
await page.goto(`${url}#matrix`);
await page.waitForSelector('#matrix-port');
await page.$eval('#matrix-port', (e) => (e.value = ''));
await page.type('#matrix-port', '8080');
await page.click('button[type=submit]');
await page.waitForFunction(() => (document.querySelector('.matrix .sub')?.textContent ?? '').includes('TCP/8080'));
await page.click('#probe');
await page.waitForSelector('#mismatches', { timeout: 60_000 });
const pods = await page.evaluate(async () => (await (await fetch('/api/matrix?port=8080')).json()).pods);
const g = await page.$eval('#heatmap', (c) => ({ cell: +c.dataset.cell, left: +c.dataset.left, top: +c.dataset.top }));
const box = await (await page.$('#heatmap')).boundingBox();
const s = pods.findIndex((p) => p.startsWith('shop/web-'));
const d = pods.indexOf('tools/debug') >= 0 ? pods.findIndex((p) => p.startsWith('data/db')) : 0;
await page.mouse.click(box.x + g.left + d * g.cell + g.cell / 2, box.y + g.top + s * g.cell + g.cell / 2);
await page.waitForFunction(() => !(document.querySelector('#explain-text')?.textContent ?? 'explaining').startsWith('explaining'));
await settle();
await shot('matrix');

// Flows: the connections the probes made, a denied one selected and its packet path drawn.
await page.goto(`${url}#flows`);
await page.waitForSelector('#flow-table tbody tr.denied', { timeout: 20_000 });
await page.select('#flow-verdict', 'denied');
const row = await page.waitForSelector('#flow-table tbody tr.denied');
await row.click();
await page.waitForSelector('#trace .hop');
await settle();
await page.setViewport({ width: 1280, height: 1100 });
await shot('flows');
await page.setViewport({ width: 1280, height: 760 });

// The self-contained report, opened from a file.
await page.goto(`file://${report}#policies`);
await page.waitForSelector('#view-policies');
await settle();
await shot('report');
await browser.close();
