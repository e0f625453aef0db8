// A container log's run index (src/lab/agent/log-runs.ts): which bytes are the current instance
// and which the previous one, as `kubectl logs [--previous]` asks.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceRange, recordRunStart, runStarts, runsPath } from '../../src/lab/agent/log-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-log-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('instanceRange', () => {
  it.each([
    { starts: [], current: { start: 0, end: null }, previous: null },
    { starts: [0], current: { start: 0, end: null }, previous: null },
    // Notes written before the first run belong to it.
    { starts: [42], current: { start: 0, end: null }, previous: null },
    { starts: [0, 10], current: { start: 10, end: null }, previous: { start: 0, end: 10 } },
    { starts: [5, 10, 30], current: { start: 30, end: null }, previous: { start: 10, end: 30 } },
    // A run that wrote nothing: its range is empty, not the one before.
    { starts: [0, 10, 10], current: { start: 10, end: null }, previous: { start: 10, end: 10 } },
  ])('runs at $starts', ({ starts, current, previous }) => {
    expect(instanceRange(starts, 'current')).toEqual(current);
    expect(instanceRange(starts, 'previous')).toEqual(previous);
  });
});

describe('recordRunStart and runStarts', () => {
  it('records where each run begins in the log; torn or decreasing lines are left out', () => {
    const log = join(dir, 'a.log');
    expect(runStarts(log)).toEqual([]);
    recordRunStart(log); // no log yet: the first run starts at 0
    writeFileSync(log, 'first run\n');
    recordRunStart(log);
    appendFileSync(log, 'second run\n');
    recordRunStart(log);
    expect(runStarts(log)).toEqual([0, 10, 21]);
    appendFileSync(runsPath(log), '3\n4x\n');
    expect(runStarts(log)).toEqual([0, 10, 21]);
  });
});
