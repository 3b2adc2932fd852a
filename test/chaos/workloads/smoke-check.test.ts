/**
 * The workloads' minimal history check (smoke-check.ts) catches what it should: a clean
 * history passes, and each planted defect (lost write, write at another offset, duplicate,
 * failed send present, unknown value, hole, polled value not in the log, unpaired or open
 * invoke, commit not ok on a fault-free run, torn last line) is reported. No processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHistory, readHistory } from './smoke-check.ts';
import type { FinalRead, HistoryEntry } from './smoke-check.ts';

const P = 'p1';
const send = (type: HistoryEntry['type'], value: string, partition: number, offset?: number | null): HistoryEntry =>
  ({ type, f: 'send', process: P, time: 1, partition, value, ...(offset !== undefined ? { offset } : {}) });
const commit = (type: HistoryEntry['type'], offsets: Array<[number, number]>): HistoryEntry => ({ type, f: 'commit', process: 'c1', time: 1, offsets, generation: 1 });
const poll = (records: Array<[number, number, string]>): HistoryEntry => ({ type: 'ok', f: 'poll', process: 'c1', time: 1, generation: 1, records });

function clean(): { history: HistoryEntry[]; final: FinalRead } {
  return {
    history: [
      send('invoke', 'a', 0), send('invoke', 'b', 0), send('ok', 'a', 0, 0), send('ok', 'b', 0, 1),
      send('invoke', 'c', 1), send('ok', 'c', 1, null),
      poll([[0, 0, 'a'], [0, 1, 'b']]), commit('invoke', [[0, 2]]), commit('ok', [[0, 2]]),
    ],
    final: { topic: 't', partitions: { '0': { logStartOffset: 0, highWatermark: 2, records: [[0, 'a'], [1, 'b']] }, '1': { logStartOffset: 0, highWatermark: 1, records: [[0, 'c']] } } },
  };
}
const strict = { complete: true, allOk: true };

describe('smoke-check', () => {
  it('passes a clean history', () => {
    const { history, final } = clean();
    expect(checkHistory(history, final, strict)).toEqual([]);
  });

  const planted: Array<[string, (h: HistoryEntry[], f: FinalRead) => void, RegExp]> = [
    ['a lost write', (_h, f) => f.partitions['1']!.records.pop(), /ok send c is in the final read 0 times/],
    ['a write at another offset', (h) => (h[2] = send('ok', 'a', 0, 1)), /acknowledged at 0\/1, read at 0\/0/],
    ['a duplicate', (_h, f) => { f.partitions['1']!.records.push([1, 'c']); f.partitions['1']!.highWatermark = 2; }, /ok send c is in the final read 2 times/],
    ['a failed send in the log', (h) => (h[5] = { ...send('fail', 'c', 1), error: 'X' }), /failed send c is in the final read/],
    ['an unknown value', (_h, f) => { f.partitions['1']!.records.push([1, 'zz']); f.partitions['1']!.highWatermark = 2; }, /value zz in the final read was never sent/],
    ['a hole', (_h, f) => (f.partitions['0']!.records[1] = [2, 'b']), /offset 2 where 1 was next/],
    ['a polled value not in the log', (h) => (h[6] = poll([[0, 0, 'a'], [0, 1, 'x']])), /polled x at 0\/1/],
    ['a completion without invoke', (h) => h.splice(4, 1), /ok send c without an open invoke/],
    ['an open invoke', (h) => h.push(send('invoke', 'd', 1)), /send d invoked and never completed/],
    ['a commit not ok on a fault-free run', (h) => (h[8] = { ...commit('info', [[0, 2]]), error: 'T' }), /info commit .* on a fault-free run/],
  ];
  for (const [what, plant, expected] of planted) {
    it(`reports ${what}`, () => {
      const { history, final } = clean();
      plant(history, final);
      expect(checkHistory(history, final, strict).join('\n')).toMatch(expected);
    });
  }

  it('rejects a torn last line and a line that does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-smoke-check-'));
    try {
      const torn = join(dir, 'torn.jsonl');
      writeFileSync(torn, '{"type":"invoke","f":"send"}\n{"type":"ok","f":"se');
      expect(() => readHistory(torn)).toThrow(/torn/);
      const bad = join(dir, 'bad.jsonl');
      writeFileSync(bad, '{"type":"invoke"}\nnot json\n');
      expect(() => readHistory(bad)).toThrow(/line 2 does not parse/);
      const good = join(dir, 'good.jsonl');
      writeFileSync(good, '{"type":"invoke","f":"send","process":"p","time":1,"value":"v","partition":0}\n');
      expect(readHistory(good)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
