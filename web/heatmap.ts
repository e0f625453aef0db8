/**
 * Draws the policy matrix on a canvas: one cell per (source row, destination column) — allowed
 * green, denied grey; with probe results, each cell's right half is the real probe (green
 * reachable, red denied, amber timeout/error) and a mismatch gets a red frame. Large matrices
 * (1,000 pods = 10⁶ cells) are drawn as pixels through ImageData, then scaled.
 */
import type { MatrixData, ProbeData } from './api.js';
import { unpackBits } from '../src/ui/matrix-data.js';

export const COLORS = { allowed: [46, 157, 91], denied: [216, 221, 227], reachable: [46, 157, 91], blocked: [201, 56, 56], other: [230, 162, 37], mismatch: '#c81e1e' } as const;

export interface Geometry {
  cell: number;
  left: number;
  top: number;
  n: number;
}

export function geometry(n: number, labels: boolean): Geometry {
  const cell = n <= 12 ? 40 : n <= 40 ? 18 : n <= 120 ? 8 : n <= 400 ? 2 : 1;
  const margin = labels ? 12 + 6.2 * 32 : 4;
  return { cell, left: margin, top: margin, n };
}

const rgb = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;

function probeColor(code: string): readonly number[] {
  if (code === 'o' || code === 'r') return COLORS.reachable;
  if (code === 'd') return COLORS.blocked;
  return COLORS.other;
}

export function drawHeatmap(canvas: HTMLCanvasElement, m: MatrixData, probe: ProbeData | null, selected: { s: number; d: number } | null = null): Geometry {
  const n = m.pods.length;
  const labels = n <= 60;
  const g = geometry(n, labels);
  canvas.width = g.left + n * g.cell + 4;
  canvas.height = g.top + n * g.cell + 4;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const allowed = unpackBits(m.bits, n);
  if (g.cell <= 2) {
    const img = ctx.createImageData(n, n);
    const px = img.data;
    for (let s = 0; s < n; s++) {
      for (let d = 0; d < n; d++) {
        const c = allowed(s, d) ? COLORS.allowed : COLORS.denied;
        const o = (s * n + d) * 4;
        px[o] = c[0];
        px[o + 1] = c[1];
        px[o + 2] = c[2];
        px[o + 3] = 255;
      }
    }
    if (g.cell === 1) ctx.putImageData(img, g.left, g.top);
    else {
      const off = new OffscreenCanvas(n, n);
      off.getContext('2d')!.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, g.left, g.top, n * g.cell, n * g.cell);
    }
  } else {
    const index = probe ? new Map(probe.pods.map((k, i) => [k, i])) : null;
    const gap = g.cell >= 8 ? 1 : 0;
    for (let s = 0; s < n; s++) {
      for (let d = 0; d < n; d++) {
        const x = g.left + d * g.cell;
        const y = g.top + s * g.cell;
        const a = allowed(s, d);
        ctx.fillStyle = rgb(a ? COLORS.allowed : COLORS.denied);
        ctx.fillRect(x + gap, y + gap, g.cell - 2 * gap, g.cell - 2 * gap);
        const ps = index?.get(m.pods[s]);
        const pd = index?.get(m.pods[d]);
        if (probe && ps !== undefined && pd !== undefined) {
          const code = probe.cells[ps * probe.pods.length + pd];
          const half = Math.floor(g.cell / 2);
          ctx.fillStyle = rgb(probeColor(code));
          ctx.fillRect(x + half, y + gap, g.cell - half - gap, g.cell - 2 * gap);
          const reach = code === 'o' || code === 'r';
          if (reach !== a) {
            ctx.strokeStyle = COLORS.mismatch;
            ctx.lineWidth = 3;
            ctx.strokeRect(x + 2, y + 2, g.cell - 4, g.cell - 4);
          }
        }
      }
    }
  }
  if (selected) {
    // The explained cell: a dark frame (outside the cell, so its colours stay readable).
    ctx.strokeStyle = '#1d2733';
    ctx.lineWidth = 2;
    ctx.strokeRect(g.left + selected.d * g.cell - 1, g.top + selected.s * g.cell - 1, g.cell + 2, g.cell + 2);
  }
  if (labels) {
    ctx.fillStyle = '#223';
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    m.pods.forEach((p, i) => ctx.fillText(short(p), g.left - 6, g.top + i * g.cell + g.cell / 2));
    ctx.save();
    ctx.textAlign = 'left';
    m.pods.forEach((p, i) => {
      ctx.save();
      ctx.translate(g.left + i * g.cell + g.cell / 2, g.top - 6);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(short(p), 0, 0);
      ctx.restore();
    });
    ctx.restore();
  }
  return g;
}

function short(key: string): string {
  return key.length > 32 ? `${key.slice(0, 31)}…` : key;
}

/** The (source, destination) under a point of the canvas, or null. */
export function cellAt(g: Geometry, x: number, y: number): { s: number; d: number } | null {
  const d = Math.floor((x - g.left) / g.cell);
  const s = Math.floor((y - g.top) / g.cell);
  return s >= 0 && d >= 0 && s < g.n && d < g.n ? { s, d } : null;
}
