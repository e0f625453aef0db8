/**
 * A real browser for the web view's tests: Debian's chromium (PODNET_CHROMIUM overrides the path)
 * driven by puppeteer-core — nothing is downloaded. As root it needs --no-sandbox.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.PODNET_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export function launchBrowser(): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** The heat map's verdict of every cell, read back from the canvas pixels (left half: the analyzer). */
export async function heatmapCells(page: Page): Promise<boolean[][]> {
  return page.$eval('#heatmap', (el) => {
    const c = el as HTMLCanvasElement;
    const [cell, left, top, n] = ['cell', 'left', 'top', 'n'].map((k) => Number(c.dataset[k]));
    const ctx = c.getContext('2d')!;
    const near = (p: Uint8ClampedArray, rgb: number[]) => rgb.every((v, i) => Math.abs(p[i] - v) < 12);
    const rows: boolean[][] = [];
    for (let s = 0; s < n; s++) {
      const row: boolean[] = [];
      for (let d = 0; d < n; d++) {
        const p = ctx.getImageData(Math.floor(left + d * cell + cell / 4), Math.floor(top + s * cell + cell / 2), 1, 1).data;
        if (near(p, [46, 157, 91])) row.push(true);
        else if (near(p, [216, 221, 227])) row.push(false);
        else throw new Error(`cell ${s},${d}: unexpected colour ${[...p].join(',')}`);
      }
      rows.push(row);
    }
    return rows;
  });
}

/** Clicks the heat map's cell (source row s, destination column d). */
export async function clickCell(page: Page, s: number, d: number): Promise<void> {
  const el = (await page.$('#heatmap'))!;
  const g = await el.evaluate((c) => {
    const d = (c as HTMLElement).dataset;
    return { cell: Number(d.cell), left: Number(d.left), top: Number(d.top) };
  });
  const box = (await el.boundingBox())!;
  await page.mouse.click(box.x + g.left + d * g.cell + g.cell / 2, box.y + g.top + s * g.cell + g.cell / 2);
}

/**
 * Replaces a text field's content as a user does: select all, delete, type — every change is an
 * input event. Setting `.value` from script fires none, so a controlled input's state keeps the
 * old text, and the next render (any answer arriving meanwhile) writes it back under the typing.
 */
export async function replaceInput(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
  const now = await page.$eval(selector, (e) => (e as HTMLInputElement).value);
  if (now !== text) throw new Error(`${selector} holds ${JSON.stringify(now)} after typing ${JSON.stringify(text)}`);
}
