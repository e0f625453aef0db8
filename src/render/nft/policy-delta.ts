/**
 * Incremental NetworkPolicy updates (pure): what a node's `podnet-policy` table holds, recorded
 * per sync (AppliedNode), and the one transaction that turns it into the next sync's table by
 * touching only what changed — per-pod sides added or removed whole, and within a side that
 * changed only the elements that differ. One cluster policy or NetworkPolicy more at 10,000
 * policies then costs a handful of element operations instead of a new table of 10,000 elements
 * (measured on this kernel: replacing a 5,000-element interval set 68 ms, flushing and refilling
 * it 1.1 s, deleting one element and adding two 15 ms).
 *
 * A generation marker makes a stale record harmless: every table carries an empty chain
 * `gen-<id>` naming the sync that wrote it, and a delta transaction deletes the marker it expects
 * and adds its own. If the table is not the recorded one (a node recreated, a crash between the
 * kernel's commit and the record's write), that delete fails, the kernel applies nothing of the
 * transaction, and the caller falls back to the full table (src/lab/policy.ts).
 */
import type { Box, PodPolicy } from '../../policy/compile.js';
import { addPodSide, boxKey, EGRESS_MAP, INGRESS_MAP, POLICY_TABLE, podSetName, renderPolicyFull, type PolicyDirection } from './policy.js';
import { Transaction } from './txn.js';

/** One per-pod side as the kernel holds it: its pod's address and its set's boxes. */
export interface AppliedSide {
  ip: string;
  direction: PolicyDirection;
  /** The boxes, flat, BOX_FIELDS numbers each: peer range, protocol range, port range. */
  boxes: ArrayLike<number>;
}

/** Numbers per box in AppliedSide.boxes. */
export const BOX_FIELDS = 6;

/** A side's boxes as flat numbers (compared and stored cheaply: most sides do not change). */
function flatBoxes(boxes: readonly Box[]): number[] {
  const out = new Array<number>(boxes.length * BOX_FIELDS);
  let k = 0;
  for (const b of boxes) {
    const [p0, p1] = b.protocol === 'any' ? [0, 255] : [b.protocol, b.protocolEnd ?? b.protocol];
    out[k++] = b.peerStart;
    out[k++] = b.peerEnd;
    out[k++] = p0;
    out[k++] = p1;
    out[k++] = b.portStart;
    out[k++] = b.portEnd;
  }
  return out;
}

/** Box `i` of a flat list as its element key. */
function elementKey(flat: ArrayLike<number>, i: number): string {
  const k = i * BOX_FIELDS;
  const box: Box = { peerStart: flat[k], peerEnd: flat[k + 1], protocol: flat[k + 2], protocolEnd: flat[k + 3], portStart: flat[k + 4], portEnd: flat[k + 5] };
  return boxKey(box).join(' . ');
}

/** Each box of a flat list as a comparable string. */
function boxIds(flat: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let k = 0; k < flat.length; k += BOX_FIELDS) out.push(`${flat[k]},${flat[k + 1]},${flat[k + 2]},${flat[k + 3]},${flat[k + 4]},${flat[k + 5]}`);
  return out;
}

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A node's policy table: the generation marker it carries, and its sides by set name. */
export interface AppliedNode {
  generation: string;
  sides: Record<string, AppliedSide>;
}

const MARKER_PREFIX = 'gen-';

/** The marker chain of one generation. */
export function generationChain(generation: string): string {
  return `${MARKER_PREFIX}${generation}`;
}

/** The sides of `node` that the compiled policies give it, by set name. */
export function nodeSides(pods: readonly PodPolicy[], node: string): Record<string, AppliedSide> {
  const out: Record<string, AppliedSide> = {};
  for (const pod of pods) {
    if (pod.node !== node) continue;
    for (const direction of ['egress', 'ingress'] as const) {
      const boxes = pod[direction];
      if (boxes) out[podSetName(direction, pod.ip)] = { ip: pod.ip, direction, boxes: flatBoxes(boxes) };
    }
  }
  return out;
}

/** The whole table for the node, with its generation marker. */
export function renderPolicyGeneration(pods: readonly PodPolicy[], node: string, generation: string): Transaction {
  const tx = renderPolicyFull(pods, node);
  tx.add({ kind: 'chain', name: generationChain(generation) });
  return tx;
}

/**
 * The transaction from the table `before` describes to the one with `pods`' sides for `node`:
 * removed sides go (dispatch element, rules, chain, set), new ones come whole, changed ones lose
 * the elements they no longer have before they gain the new ones (the boxes of a side are
 * disjoint, so a new box may overlap only boxes that leave in the same transaction).
 */
export function renderPolicyDelta(before: AppliedNode, pods: readonly PodPolicy[], node: string, generation: string): { tx: Transaction; sides: Record<string, AppliedSide> } {
  const sides = nodeSides(pods, node);
  const tx = new Transaction('ip', POLICY_TABLE);
  tx.delete({ kind: 'chain', name: generationChain(before.generation) });
  tx.add({ kind: 'chain', name: generationChain(generation) });
  const map = (direction: PolicyDirection) => (direction === 'ingress' ? INGRESS_MAP : EGRESS_MAP);
  for (const [name, side] of Object.entries(before.sides)) {
    if (sides[name]) continue;
    tx.delete({ kind: 'element', map: map(side.direction), key: [side.ip] });
    tx.flush({ kind: 'chain', name });
    tx.delete({ kind: 'chain', name });
    tx.delete({ kind: 'set', name, type: '' });
  }
  const adds: (() => void)[] = [];
  const byIp = new Map(pods.filter((p) => p.node === node).map((p) => [p.ip, p]));
  for (const [name, side] of Object.entries(sides)) {
    const old = before.sides[name];
    if (!old) {
      adds.push(() => addPodSide(tx, byIp.get(side.ip)!, side.direction));
      continue;
    }
    if (sameNumbers(old.boxes, side.boxes)) continue;
    const [now, had] = [boxIds(side.boxes), boxIds(old.boxes)];
    const [keep, kept] = [new Set(now), new Set(had)];
    had.forEach((id, i) => keep.has(id) || tx.delete({ kind: 'element', set: name, key: [elementKey(old.boxes, i)] }));
    now.forEach((id, i) => kept.has(id) || adds.push(() => tx.add({ kind: 'element', set: name, key: [elementKey(side.boxes, i)] })));
  }
  for (const add of adds) add();
  return { tx, sides };
}
