// Dev helper: runs every peer-suite case and prints which match (used while iterating).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifests } from '../../src/api/load.js';
import { readCluster } from '../../src/api/cluster.js';
import { connlist, formatConnLine } from '../../src/policy/connlist.js';

const root = process.argv[2] ?? '../shared/peer-suites/netpol-analyzer';
const only = process.argv[3];
let pass = 0, fail = 0;
for (const c of readdirSync(join(root, 'tests')).sort()) {
  if (only && c !== only) continue;
  const expected = readFileSync(join(root, 'expected', `${c}_connlist_output.txt`), 'utf8').trimEnd().split('\n').filter((l) => l !== '');
  let got: string[];
  try {
    got = connlist(readCluster(loadManifests([join(root, 'tests', c)]))).map(formatConnLine);
  } catch (e) { console.log(`ERR  ${c}: ${(e as Error).message.slice(0, 500)}`); fail++; continue; }
  const missing = expected.filter((l) => !got.includes(l));
  const extra = got.filter((l) => !expected.includes(l));
  if (missing.length === 0 && extra.length === 0) { pass++; console.log(`ok   ${c}`); continue; }
  fail++;
  console.log(`FAIL ${c}: ${missing.length} missing, ${extra.length} extra`);
  for (const l of missing.slice(0, only ? 40 : 3)) console.log(`   - ${l}`);
  for (const l of extra.slice(0, only ? 40 : 3)) console.log(`   + ${l}`);
}
console.log(`${pass} passed, ${fail} failed`);
