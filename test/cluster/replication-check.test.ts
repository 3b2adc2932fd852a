/**
 * The replication suites' verdicts (replication-check.ts) catch what they are there to catch:
 * a clean run passes; a lost acknowledged record, an offset reused by two acknowledgements,
 * a duplicate, a reorder, a hole, and a lost commit each fail with a named problem. No
 * processes: this runs in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { checkAckedLog, checkGroupCommits } from './replication-check.ts';

const log = (p: number, ns: number[]): Array<[number, string]> => ns.map((n, offset) => [offset, `p${p}-${n}`]);
const acks = (ns: number[]): Array<[number, number]> => ns.map((n, offset) => [offset, n]);

describe('checkAckedLog', () => {
  it('passes a clean log and counts what was read but not acknowledged', () => {
    const verdict = checkAckedLog([acks([0, 1, 2]), acks([0, 1])], [log(0, [0, 1, 2, 3]), log(1, [0, 1])], [5, 2]);
    expect(verdict.problems).toEqual([]);
    expect(verdict.counts).toEqual({ sent: 7, acked: 5, ackedOffsetUnknown: 0, read: 6, readNotAcked: 1, unackedMissing: 1 });
  });

  it('accepts an acknowledgement without an offset when the value is read once, and names it lost otherwise', () => {
    const read = [log(0, [0, 1, 2])];
    const ok = checkAckedLog([[[0, 0], [null, 1], [2, 2]]], read, [3]);
    expect(ok.problems).toEqual([]);
    expect(ok.counts.ackedOffsetUnknown).toBe(1);
    expect(checkAckedLog([[[0, 0], [null, 3]]], read, [4]).problems).toContain('p0-3 acknowledged (offset unknown) is lost');
  });

  it('names a lost acknowledged record and an offset acknowledged twice (a new leader without the data)', () => {
    // p0-0..1 acknowledged at 0..1 by the old leader; the new leader wrote p0-2..3 at 0..1 again.
    const verdict = checkAckedLog([[[0, 0], [1, 1], [0, 2], [1, 3]]], [log(0, [2, 3])], [4]);
    expect(verdict.problems).toContain('p0-0 acknowledged at offset 0 is lost (offset 0 holds p0-2)');
    expect(verdict.problems).toContain('p0@0: acknowledged for both p0-0 and p0-2');
    expect(verdict.problems[0]).toBe('summary: p0 acknowledged lost ×2, p0 offset acknowledged twice ×2');
  });

  it('names a duplicate, a reorder, a hole and a value from elsewhere', () => {
    const read: Array<[number, string]> = [[0, 'p0-0'], [1, 'p0-2'], [2, 'p0-1'], [3, 'p0-2'], [5, 'p1-0']];
    const problems = checkAckedLog([acks([0])], [read], [3]).problems;
    expect(problems).toContain('p0@2: p0-1 after p0-2 (reordered)');
    expect(problems).toContain('p0: p0-2 read twice, at offsets 1 and 3 (duplicate)');
    expect(problems).toContain('p0: offset 5 read at position 4 (offsets not contiguous from 0)');
    expect(problems).toContain('p0@5: value "p1-0" does not belong to this partition');
  });
});

describe('checkGroupCommits', () => {
  const expected = ['a', 'b', 'c', 'd'];

  it('passes re-reads above the last commit and counts them as duplicates', () => {
    const reads: Array<[number, number, string]> = [[0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c'], [0, 2, 'c'], [0, 3, 'd']];
    const verdict = checkGroupCommits(reads, [[2, [[0, 2]]], [5, [[0, 4]]]], expected);
    expect(verdict.problems).toEqual([]);
    expect(verdict.duplicates).toBe(1);
    expect(verdict.committedMax.get(0)).toBe(4);
  });

  it('names a read below an offset already committed (a lost commit) and values never read', () => {
    const reads: Array<[number, number, string]> = [[0, 0, 'a'], [0, 1, 'b'], [0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c']];
    const verdict = checkGroupCommits(reads, [[2, [[0, 2]]]], expected);
    expect(verdict.problems).toEqual([
      '1 values never read, e.g. d',
      'partition 0: 2 records read again below an offset already committed (lost commit); first: read #2: offset 0 (a) after offset 2 was committed',
    ]);
  });
});
