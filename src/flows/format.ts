/** Flow records as text lines or JSON lines (pure). */
import type { FlowRecord } from './attribute.js';

export function formatFlowJson(f: FlowRecord): string {
  return JSON.stringify(f);
}

export function formatFlowText(f: FlowRecord): string {
  const end = (e: FlowRecord['src']) => e.pod ?? e.ip;
  const what = `${f.protocol}${f.port !== null ? `/${f.port}` : ''}`;
  const why = f.verdict === 'denied' ? `by ${f.direction ?? 'policy'}${f.policies.length > 0 ? ` (isolated by ${f.policies.join(', ')})` : ''}` : f.policies.length > 0 ? `by ${f.policies.join(', ')}` : '(no policy applies)';
  return `${f.time} ${f.node} ${end(f.src)} -> ${end(f.dst)} ${what} ${f.verdict.toUpperCase()} ${why}`;
}

/** Parses a flows file's text: complete lines only, bad lines skipped. */
export function parseFlowLines(text: string): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as FlowRecord);
    } catch {
      /* a torn or foreign line */
    }
  }
  return out;
}
