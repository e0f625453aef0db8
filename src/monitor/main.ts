#!/usr/bin/env node
/**
 * The lab's monitor process (root namespace, one per lab): collects flows from every node
 * (src/flows/collector.ts), serves Prometheus metrics on 127.0.0.1 (GET /metrics) and runs the
 * endpoints controller (src/controller/endpoints.ts: Services follow pod readiness). It follows
 * the lab's state file for the cluster, writes the port it listens on to <state>/monitor.port and
 * carries PODNET_STATE_DIR, so `podnet down` ends it with the lab's other processes.
 */
import { existsSync, statSync } from 'node:fs';
import { ensureApiServer, runningApiServer } from '../lab/apiserver.js';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { startEndpointsController } from '../controller/endpoints.js';
import { labControllerDeps } from '../controller/endpoints-runtime.js';
import { LinuxHost } from '../host/host.js';
import { hostNft } from '../host/nft-native.js';
import { flowKeys } from '../flows/attribute.js';
import { startCollector } from '../flows/collector.js';
import { labCluster } from '../api/lab-cluster.js';
import { startAgentRestarter } from './agent-restart.js';
import { startTableGuard } from './table-guard.js';
import { processLabFiles, readStateFile, writeFileAtomic, type LabState } from '../lab/state.js';
import { sharedResult } from '../metrics/cache.js';
import { collectTables } from '../metrics/collect.js';
import { renderMetrics } from '../metrics/render.js';
import type { Cluster } from '../model/types.js';
import { labSemantics } from '../policy/semantics.js';

const { stateDir, stateFile } = processLabFiles('monitor');
// The lab's directory is <state root>/<lab>: state, lock and agents are found from the root.
process.env.PODNET_STATE_ROOT = dirname(stateDir);
const log = (line: string) => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
process.stderr.on('error', () => {});

let cached: { mtimeMs: number; state: LabState; cluster: Cluster } | null = null;
/** The lab as its state file says now; the last good one while the file cannot be read. */
function current(): { state: LabState; cluster: Cluster } {
  try {
    const mtimeMs = statSync(stateFile).mtimeMs;
    if (!cached || cached.mtimeMs !== mtimeMs) {
      const { state } = readStateFile(stateFile);
      cached = { mtimeMs, state, cluster: labCluster(state) };
    }
  } catch (e) {
    if (!cached) throw e; // at start: nothing to monitor
  }
  return cached!;
}

const flows = new Map<string, number>();
const { state } = current();
const collector = startCollector({
  stateDir,
  nodes: state.nodes,
  cluster: () => current().cluster,
  semantics: labSemantics(state.config),
  log,
  onFlow: (f) => {
    for (const key of flowKeys(f)) flows.set(key, (flows.get(key) ?? 0) + 1);
  },
});

const restarter = startAgentRestarter(state.config.name, () => {
  try {
    return current().state;
  } catch {
    return null;
  }
}, log);

const guard = startTableGuard(state.config.name, new LinuxHost(), () => {
  try {
    return current().state;
  } catch {
    return null;
  }
}, log);

const controller = startEndpointsController(labControllerDeps(state.config.name, new LinuxHost(), log), log);

const nft = hostNft(new LinuxHost());

/** The nodes' tables, read at most every 2 s however often /metrics is fetched (metrics/cache.ts). */
const tables = sharedResult(() => {
  const { state: s, cluster } = current();
  return collectTables(nft, s.nodes, cluster);
}, 2_000);

const server = createServer((req, res) => {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
    return;
  }
  const { state: s } = current();
  tables().then(
    ({ counts, drops }) => {
      const body = renderMetrics({ lab: s.config.name, sync: s.sync ?? null, endpoints: s.endpoints ?? null, tables: counts, drops, flows, agentRestarts: restarter.restarts, tableRestores: guard.restores });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    },
    (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
  );
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const path = join(stateDir, 'monitor.port');
  writeFileAtomic(path, `${port}\n`);
  log(`monitor for lab ${state.config.name}: flows from ${state.nodes.length} nodes, metrics on http://127.0.0.1:${port}/metrics`);
});
const stop = () => {
  collector.stop();
  controller.stop();
  restarter.stop();
  guard.stop();
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// The lab's API server, restarted when it died (only once it had run: `up` starts the first one).
setInterval(() => {
  const s = current().state;
  if (s.config.noApi || !existsSync(join(stateDir, 'api', 'server.json')) || runningApiServer(stateDir)) return;
  log('the API server is not running: starting it again');
  ensureApiServer(stateDir).catch((e: Error) => log(`API server: ${e.message}`));
}, 2_000).unref();
