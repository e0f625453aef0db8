/** Renders real probe results beside the analyzer's expectation (pure). */
import type { ProbeOutcome } from '../probe/verdict.js';

export interface ProbeMatrixView {
  pods: readonly string[];
  port: number;
  protocol: string;
  /** allowed[s][d]: what the probe saw (rows are sources). */
  allowed: readonly (readonly boolean[])[];
  /** expected[s][d]: what the analyzer says. */
  expected: readonly (readonly boolean[])[];
  outcomes: readonly (readonly ProbeOutcome[])[];
}

/** The required JSON form: {"pods":[...],"port":80,"protocol":"TCP","allowed":[[...]],"expected":[[...]]}. */
export function formatProbeMatrixJson(view: ProbeMatrixView): string {
  return `${JSON.stringify({ pods: view.pods, port: view.port, protocol: view.protocol, allowed: view.allowed, expected: view.expected })}\n`;
}

export interface Mismatch {
  from: string;
  to: string;
  allowed: boolean;
  outcome: ProbeOutcome;
}

export function mismatches(view: ProbeMatrixView): Mismatch[] {
  const out: Mismatch[] = [];
  view.pods.forEach((from, s) =>
    view.pods.forEach((to, d) => {
      if (view.allowed[s][d] !== view.expected[s][d]) out.push({ from, to, allowed: view.allowed[s][d], outcome: view.outcomes[s][d] });
    }),
  );
  return out;
}

/** A grid with numbered columns; mismatches get their own marks (and red, on a terminal). */
export function formatProbeMatrixText(view: ProbeMatrixView, color = false): string {
  const n = view.pods.length;
  if (n === 0) return 'no pods\n';
  const width = String(n).length;
  const nameWidth = Math.max(...view.pods.map((p) => p.length));
  const red = (t: string) => (color ? `\x1b[1;31m${t}\x1b[0m` : t);
  const mark = (s: number, d: number) => {
    const a = view.allowed[s][d];
    if (a === view.expected[s][d]) return (a ? 'Y' : '.').padStart(width);
    return red((a ? '!' : 'x').padStart(width));
  };
  const header = `${' '.repeat(width + 2 + nameWidth)} ${view.pods.map((_, i) => String(i + 1).padStart(width)).join(' ')}`;
  const rows = view.pods.map((p, s) => `${String(s + 1).padStart(width)}  ${p.padEnd(nameWidth)} ${view.pods.map((_, d) => mark(s, d)).join(' ')}`);
  const lines = [
    `Real probes, ${view.protocol}/${view.port} (rows: source, columns: destination)`,
    'Y: allowed, .: denied — as the analyzer expects;  !: allowed but expected denied,  x: denied but expected allowed',
    '',
    header,
    ...rows,
  ];
  const bad = mismatches(view);
  lines.push('', bad.length === 0 ? `All ${n * n} probes match the analyzer.` : red(`${bad.length} of ${n * n} probes differ from the analyzer:`));
  for (const m of bad) lines.push(`  ${m.from} -> ${m.to}: ${describeOutcome(m.outcome)}, analyzer: ${m.allowed ? 'denied' : 'allowed'}`);
  return `${lines.join('\n')}\n`;
}

export function describeOutcome(o: ProbeOutcome): string {
  switch (o.verdict) {
    case 'open':
      return `connected (${o.ms} ms)`;
    case 'refused':
      return `reached, port closed (${o.ms} ms)`;
    case 'denied':
      return `refused by policy (${o.code ?? 'ICMP admin-prohibited'}, ${o.ms} ms)`;
    case 'timeout':
      return `no answer within ${o.ms} ms`;
    case 'error':
      return `probe failed${o.code ? `: ${o.code}` : ''}`;
  }
}
