/**
 * The HTML around the web view's bundle (pure): one file holding the script, its styles and the
 * boot data, so `podnet ui` serves it as is and an `-o html` report opens from disk with no
 * network access. `</script` and `<!--` never reach the inline scripts unescaped.
 */
import type { ConnLine } from '../policy/connlist.js';
import type { ConnDiff } from '../policy/diff.js';
import type { MatrixData } from './matrix-data.js';
import type { ClusterPolicySummary } from './cluster-policies.js';
import type { PolicySummary } from './policies.js';
import type { Topology } from './topology.js';

export interface ReportData {
  title: string;
  /** The -f paths the report was made from. */
  inputs: string[];
  matrix?: MatrixData;
  topology?: Topology;
  policies?: PolicySummary[];
  /** The cluster-wide tiers' policies in evaluation order (absent: none). */
  clusterPolicies?: ClusterPolicySummary[];
  connlist?: ConnLine[];
  diff?: ConnDiff;
}

export type Boot =
  | { kind: 'live'; lab: string | null; probes: boolean; flows: boolean }
  | { kind: 'report'; report: ReportData };

/** JSON safe inside <script>: `<` is escaped, so no `</script>` or `<!--` can appear. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** JavaScript safe inside <script>: `</script` and `<!--` are split (same meaning in strings, regexes, code). */
export function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function pageHtml(bundle: string, boot: Boot, title: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing is fetched from elsewhere: scripts and styles are inline, data comes from this origin.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'">`,
    `<title>${escapeHtml(title)}</title></head>`,
    '<body><div id="app"></div>',
    `<script type="application/json" id="podnet-boot">${scriptJson(boot)}</script>`,
    `<script>${scriptText(bundle)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
