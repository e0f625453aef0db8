/**
 * The policy matrix as the web view receives it (pure): pods and one bit per (source, destination)
 * pair, packed row-major (bit s·n+d, least significant first in each byte) and base64-encoded —
 * 1,000 pods are 125 kB of bits instead of megabytes of JSON booleans. Real probe results travel
 * as one character per pair.
 */
import type { MatrixView } from '../output/matrix-format.js';
import type { ProbeVerdict } from '../probe/verdict.js';

export interface MatrixData {
  pods: string[];
  port: number | null;
  protocol: string | null;
  /** base64 of the packed allowed bits. */
  bits: string;
  /** Without a port: each pair's allowed connections (np-guard notation), as `analyze` gives them. */
  connections?: string[][];
}

export function packBits(n: number, allowed: (s: number, d: number) => boolean): string {
  const bytes = new Uint8Array(Math.ceil((n * n) / 8));
  for (let s = 0; s < n; s++) {
    for (let d = 0; d < n; d++) {
      if (!allowed(s, d)) continue;
      const i = s * n + d;
      bytes[i >> 3] |= 1 << (i & 7);
    }
  }
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function unpackBits(bits: string, n: number): (s: number, d: number) => boolean {
  const text = atob(bits);
  return (s, d) => {
    const i = s * n + d;
    return ((text.charCodeAt(i >> 3) >> (i & 7)) & 1) === 1;
  };
}

export function matrixData(view: MatrixView): MatrixData {
  const n = view.pods.length;
  const out: MatrixData = { pods: [...view.pods], port: view.port, protocol: view.protocol, bits: packBits(n, (s, d) => view.allowed[s][d]) };
  if (view.connections) out.connections = view.connections.map((r) => [...r]);
  return out;
}

/** One character per probe verdict. */
export const VERDICT_CODE: Record<ProbeVerdict, string> = { open: 'o', refused: 'r', denied: 'd', timeout: 't', error: 'e' };

export interface ProbeData {
  port: number;
  protocol: string;
  /** The probed pods (placed, with an address), sorted like the matrix's. */
  pods: string[];
  /** pods.length² characters, row-major: VERDICT_CODE of each probe. */
  cells: string;
  /** Pairs where the probe and the analyzer disagree. */
  mismatches: { from: string; to: string; expected: boolean; verdict: ProbeVerdict }[];
}

export interface ProbePair {
  from: string;
  to: string;
  expected: boolean;
  allowed: boolean;
  outcome: { verdict: ProbeVerdict };
}

export function probeData(port: number, protocol: string, results: readonly (readonly ProbePair[])[]): ProbeData {
  const pods = results.map((row) => row[0]?.from).filter((k): k is string => k !== undefined);
  const cells = results.map((row) => row.map((r) => VERDICT_CODE[r.outcome.verdict]).join('')).join('');
  const mismatches = results.flat().filter((r) => r.allowed !== r.expected).map((r) => ({ from: r.from, to: r.to, expected: r.expected, verdict: r.outcome.verdict }));
  return { port, protocol, pods, cells, mismatches };
}
