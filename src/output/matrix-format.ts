/** Renders a pod-to-pod matrix as text, JSON, CSV, Markdown or Graphviz dot (pure). */

export interface MatrixView {
  /** "ns/name", sorted by namespace then name. */
  pods: readonly string[];
  port: number | null;
  protocol: string | null;
  /** allowed[s][d]: rows are sources, columns destinations. */
  allowed: readonly (readonly boolean[])[];
  /** Without a port: the allowed connections of each pair, in np-guard notation. */
  connections?: readonly (readonly string[])[];
}

export const MATRIX_FORMATS = ['text', 'json', 'csv', 'md', 'dot'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export function formatMatrix(view: MatrixView, format: MatrixFormat): string {
  switch (format) {
    case 'json':
      return formatJson(view);
    case 'csv':
      return formatCsv(view);
    case 'md':
      return formatMarkdown(view);
    case 'dot':
      return formatDot(view);
    case 'text':
      return formatText(view);
  }
}

/** The stable JSON form: {"pods":[...],"port":80,"protocol":"TCP","allowed":[[...]]}. */
function formatJson(view: MatrixView): string {
  const out: Record<string, unknown> = { pods: view.pods, port: view.port, protocol: view.protocol, allowed: view.allowed };
  if (view.connections) out.connections = view.connections;
  return JSON.stringify(out);
}

function cell(view: MatrixView, s: number, d: number): string {
  if (view.connections) return view.connections[s][d] === 'No Connections' ? '' : view.connections[s][d];
  return view.allowed[s][d] ? 'allowed' : 'denied';
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function formatCsv(view: MatrixView): string {
  const lines = [['source \\ destination', ...view.pods].map(csvField).join(',')];
  view.pods.forEach((src, s) => lines.push([src, ...view.pods.map((_, d) => cell(view, s, d))].map(csvField).join(',')));
  return `${lines.join('\n')}\n`;
}

function formatMarkdown(view: MatrixView): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const head = `| source \\ destination | ${view.pods.map(esc).join(' | ')} |`;
  const rule = `|${'---|'.repeat(view.pods.length + 1)}`;
  const rows = view.pods.map((src, s) => `| ${esc(src)} | ${view.pods.map((_, d) => esc(view.connections ? cell(view, s, d) : view.allowed[s][d] ? '✓' : '✗')).join(' | ')} |`);
  return `${[title(view), '', head, rule, ...rows].join('\n')}\n`;
}

function formatDot(view: MatrixView): string {
  const q = (t: string) => `"${t.replace(/"/g, '\\"')}"`;
  const lines = ['digraph podnet {', '  rankdir=LR;', '  node [shape=box];'];
  for (const p of view.pods) lines.push(`  ${q(p)};`);
  view.pods.forEach((src, s) =>
    view.pods.forEach((dst, d) => {
      if (s === d || !view.allowed[s][d]) return;
      const label = view.connections ? ` [label=${q(view.connections[s][d])}]` : '';
      lines.push(`  ${q(src)} -> ${q(dst)}${label};`);
    }),
  );
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function title(view: MatrixView): string {
  const what = view.port === null ? 'allowed connections' : `${view.protocol}/${view.port}`;
  return `Pod-to-pod connectivity, ${what} (rows: source, columns: destination)`;
}

/** A grid with numbered columns; pod names label the rows. */
function formatText(view: MatrixView): string {
  const n = view.pods.length;
  if (n === 0) return 'no pods\n';
  const width = String(n).length;
  const nameWidth = Math.max(...view.pods.map((p) => p.length));
  const mark = (s: number, d: number) => (view.allowed[s][d] ? 'Y' : '.');
  const header = `${' '.repeat(width + 2 + nameWidth)} ${view.pods.map((_, i) => String(i + 1).padStart(width)).join(' ')}`;
  const rows = view.pods.map((p, s) => `${String(s + 1).padStart(width)}  ${p.padEnd(nameWidth)} ${view.pods.map((_, d) => mark(s, d).padStart(width)).join(' ')}`);
  const lines = [title(view), 'Y: allowed, .: denied', '', header, ...rows];
  if (view.connections) {
    lines.push('', 'Allowed connections:');
    view.pods.forEach((src, s) =>
      view.pods.forEach((dst, d) => {
        if (s !== d && view.allowed[s][d]) lines.push(`  ${src} => ${dst} : ${view.connections![s][d]}`);
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}
