/**
 * What each node's NetworkPolicy table holds, kept between syncs (src/lab/policy.ts sends only
 * the difference from it). A file in the lab's state directory: one JSON line naming every side,
 * then the sides' boxes as little-endian 32-bit numbers — at 10,000 policies the boxes are tens
 * of thousands of numbers, which JSON took 5–10 ms to write and read back on every sync.
 *
 * The record is a cache that is checked before use: a delta deletes the generation marker the
 * record names, so a table that is not the recorded one refuses it whole. A missing, damaged or
 * older-format file is no record (every node gets its whole table). So the file is written
 * atomically but not flushed to disk: a crash may lose it, which costs one full sync.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BOX_FIELDS, type AppliedNode, type AppliedSide } from '../render/nft/policy-delta.js';
import { labDir, writeFileAtomic } from './state.js';

/** What each node's table holds, kept between syncs; null when unknown. */
export interface PolicyRecord {
  load(): Record<string, AppliedNode> | null;
  save(nodes: Record<string, AppliedNode>): void;
}

/** No record: every sync replaces every node's table (tests, and the table guard's restores). */
export const NO_RECORD: PolicyRecord = { load: () => null, save: () => undefined };

const RECORD_FILE = 'policy-applied.bin';
const RECORD_VERSION = 3;

/** A side in the header: where its boxes are in the body (in numbers). */
interface SideHeader {
  ip: string;
  direction: AppliedSide['direction'];
  at: number;
  count: number;
}

interface Header {
  version: number;
  nodes: Record<string, { generation: string; sides: Record<string, SideHeader> }>;
}

export function encodeRecord(nodes: Record<string, AppliedNode>): Buffer {
  let total = 0;
  const header: Header = { version: RECORD_VERSION, nodes: {} };
  for (const [name, node] of Object.entries(nodes)) {
    const sides: Record<string, SideHeader> = {};
    for (const [set, side] of Object.entries(node.sides)) {
      sides[set] = { ip: side.ip, direction: side.direction, at: total, count: side.boxes.length };
      total += side.boxes.length;
    }
    header.nodes[name] = { generation: node.generation, sides };
  }
  const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  const out = Buffer.alloc(head.length + total * 4);
  head.copy(out);
  let at = head.length;
  for (const node of Object.values(nodes)) {
    for (const side of Object.values(node.sides)) {
      for (let i = 0; i < side.boxes.length; i++, at += 4) out.writeUInt32LE(side.boxes[i], at);
    }
  }
  return out;
}

const validSide = (s: Partial<SideHeader> | null, body: number) =>
  typeof s?.ip === 'string' && (s.direction === 'ingress' || s.direction === 'egress') && Number.isInteger(s.at) && Number.isInteger(s.count) && s.at! >= 0 && s.count! >= 0 && s.count! % BOX_FIELDS === 0 && s.at! + s.count! <= body;

/** The nodes a record file holds; null for anything but a whole, valid record of this version. */
export function decodeRecord(data: Buffer): Record<string, AppliedNode> | null {
  const nl = data.indexOf(10);
  if (nl < 0) return null;
  let header: Partial<Header>;
  try {
    header = JSON.parse(data.toString('utf8', 0, nl)) as Partial<Header>;
  } catch {
    return null;
  }
  const bytes = data.length - nl - 1;
  if (header.version !== RECORD_VERSION || !header.nodes || typeof header.nodes !== 'object' || bytes % 4 !== 0) return null;
  // Copied out to an aligned buffer of its own (the file's body starts after the header).
  const body = new Uint32Array(bytes / 4);
  Buffer.from(body.buffer).set(data.subarray(nl + 1));
  if (!littleEndian()) for (let i = 0; i < body.length; i++) body[i] = data.readUInt32LE(nl + 1 + i * 4);
  const out: Record<string, AppliedNode> = {};
  for (const [name, node] of Object.entries(header.nodes)) {
    if (typeof node?.generation !== 'string' || !/^[0-9a-f]{1,16}$/.test(node.generation) || !node.sides || typeof node.sides !== 'object') return null;
    const sides: Record<string, AppliedSide> = {};
    for (const [set, s] of Object.entries(node.sides)) {
      if (!validSide(s, body.length)) return null;
      sides[set] = { ip: s.ip, direction: s.direction, boxes: body.subarray(s.at, s.at + s.count) };
    }
    out[name] = { generation: node.generation, sides };
  }
  return out;
}

const littleEndian = () => new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The lab's record, a file in its state directory. */
export function labPolicyRecord(lab: string): PolicyRecord {
  return filePolicyRecord(join(labDir(lab), RECORD_FILE));
}

/** A record in the file at `path`, written atomically (see the header on why not flushed). */
export function filePolicyRecord(path: string): PolicyRecord {
  return {
    load: () => {
      if (!existsSync(path)) return null;
      try {
        return decodeRecord(readFileSync(path));
      } catch {
        return null; // unreadable: every node gets its whole table, and a new record
      }
    },
    save: (nodes) => writeFileAtomic(path, encodeRecord(nodes), 0o600, false),
  };
}

/** Forgets the lab's record: the next sync writes every node's whole table. */
export function forgetPolicyRecord(lab: string): void {
  rmSync(join(labDir(lab), RECORD_FILE), { force: true });
}
