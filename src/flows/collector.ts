/**
 * The flows collector (runs in the lab's monitor process): one `nft monitor trace` per node
 * namespace, its lines parsed (parse.ts), retransmissions folded, each connection attributed to
 * pods and policies (attribute.ts) and appended as one JSON line to <state>/flows.jsonl. A
 * listener that exits is restarted; the file is rotated once at FLOWS_MAX_BYTES (one .1 kept).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { baseEnv } from '../lab/agent/paths.js';
import { POLICY_TABLE } from '../render/nft/policy.js';
import type { Cluster } from '../model/types.js';
import { NodeFlowReader, type FlowRecord } from './attribute.js';
import type { Semantics } from '../policy/semantics.js';

export const FLOWS_FILE = 'flows.jsonl';
export const FLOWS_MAX_BYTES = 64 * 1024 * 1024;
const RESTART_MS = 1_000;

export const flowsPath = (stateDir: string): string => join(stateDir, FLOWS_FILE);

export interface CollectorOptions {
  stateDir: string;
  nodes: readonly { name: string; netns: string }[];
  /** The lab's cluster as it is now (re-read when the state changes). */
  cluster: () => Cluster;
  /** The lab's NetworkPolicy semantics profile (attribution follows what the data plane enforces). */
  semantics?: Semantics;
  onFlow?: (f: FlowRecord) => void;
  log: (line: string) => void;
}

export function startCollector(opts: CollectorOptions): { stop: () => void } {
  const children = new Set<ChildProcess>();
  let stopped = false;
  const out = flowsPath(opts.stateDir);
  const write = (f: FlowRecord) => {
    try {
      if ((statSync(out, { throwIfNoEntry: false })?.size ?? 0) > FLOWS_MAX_BYTES) renameSync(out, `${out}.1`);
    } catch {
      /* rotation is best effort */
    }
    appendFileSync(out, `${JSON.stringify(f)}\n`);
    opts.onFlow?.(f);
  };
  const listen = (node: { name: string; netns: string }) => {
    if (stopped) return;
    // A stream of trace events, not a transaction or a listing: it stays outside the Nft
    // interface (knftables leaves `nft monitor` out too); the parser is pure (flows/parse.ts).
    const child = spawn('ip', ['netns', 'exec', node.netns, 'nft', 'monitor', 'trace'], { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv(opts.stateDir) });
    children.add(child);
    const reader = new NodeFlowReader(node.name, POLICY_TABLE, opts.semantics);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const f = reader.feed(line, opts.cluster, new Date());
      if (f) write(f);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => opts.log(`${node.name}: nft monitor: ${line}`));
    child.on('exit', (code) => {
      children.delete(child);
      if (stopped) return;
      opts.log(`${node.name}: nft monitor trace exited (${code}); restarting`);
      setTimeout(() => listen(node), RESTART_MS).unref();
    });
  };
  for (const n of opts.nodes) listen(n);
  return {
    stop: () => {
      stopped = true;
      for (const c of children) c.kill('SIGTERM');
    },
  };
}
