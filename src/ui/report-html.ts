/** A report's HTML: the page (page.ts) with the web view's bundle and the report's data inline. */
import { uiBundle } from './assets.js';
import { pageHtml, type ReportData } from './page.js';

export function reportHtml(data: ReportData): string {
  return pageHtml(uiBundle(), { kind: 'report', report: data }, data.title);
}
