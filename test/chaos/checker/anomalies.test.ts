// Example tests of every anomaly class: a fixed clean model run reports nothing; the same run
// with one planted defect (plant-defect.ts) reports exactly that class, and its first
// example names the planted value. Then the edges of the definitions on hand-written lines:
// unseen vs lost, offsetless acks, acks below the log start, rebalances that restart polls
// or commits, and failed sends found in the log.
import { describe, expect, it } from 'vitest';
import { parseFinalRead } from './final-read.ts';
import { type History, mergeHistories, parseHistoryText } from './history.ts';
import { cloneRun, deriveRun, type Line, type ModelParams, type RawRun, toFinalRead, toHistory } from './model-run.ts';
import { DEFECT_KINDS, plantDefect } from './plant-defect.ts';
import { check, type Report } from './report.ts';

const params: ModelParams = {
  partitions: 2,
  producers: 2,
  members: 2,
  sends: [
    { producer: 0, partition: 0, fate: 'ok' },
    { producer: 1, partition: 0, fate: 'ok' },
    { producer: 0, partition: 0, fate: 'ok' },
    { producer: 0, partition: 1, fate: 'info-written' },
    { producer: 1, partition: 1, fate: 'ok' },
    { producer: 0, partition: 1, fate: 'fail' },
    { producer: 1, partition: 0, fate: 'crash-written' },
    { producer: 0, partition: 0, fate: 'ok' },
    { producer: 1, partition: 1, fate: 'ok' },
    { producer: 0, partition: 1, fate: 'info-lost' },
    { producer: 1, partition: 1, fate: 'ok' },
    { producer: 0, partition: 0, fate: 'crash-lost' },
  ],
  generations: [
    { owner: [0, 1], rewind: [0, 0], reads: [3, 2], chunk: 2 },
    { owner: [1, 0], rewind: [1, 1], reads: [10, 10], chunk: 2 },
  ],
};

function verdict(run: RawRun): Report {
  return check(toHistory(run), toFinalRead(run));
}

function nonZero(report: Report): string[] {
  return Object.entries(report.anomalies).flatMap(([name, c]) => (c.count > 0 ? [name] : []));
}

describe('anomaly classes on a model run', () => {
  const clean = deriveRun(params);

  it('a clean run reports no anomaly and counts every operation', () => {
    const report = verdict(clean);
    expect(nonZero(report)).toEqual([]);
    expect(report.safe).toBe(true);
    expect(report.counts.sends).toEqual({ invoked: 12, ok: 7, okOffsetUnknown: 0, fail: 1, info: 2, indeterminate: 2 });
    expect(report.counts.finalRead).toEqual({ partitions: 2, records: 9 });
    expect(report.counts.polls).toBeGreaterThan(3);
    expect(report.counts.commits.ok).toBe(report.counts.commits.invoked);
  });

  for (const kind of DEFECT_KINDS) {
    it(`a planted ${kind} is reported as exactly that class, naming the planted value`, () => {
      // Without polls a swapped pair in the final read is an inconsistent offset only
      // (polls would also see the values at two places: duplicates).
      const run = kind === 'inconsistentOffset' ? deriveRun({ ...params, generations: [] }) : cloneRun(clean);
      const planted = plantDefect(run, kind, 0);
      expect(planted).toBeDefined();
      const report = verdict(run);
      expect(nonZero(report)).toEqual([kind]);
      expect(report.safe).toBe(false);
      expect(report.unsafeClasses).toEqual([kind]);
      const first = report.anomalies[kind].examples[0];
      if (planted!.match !== undefined) expect(first).toMatchObject(planted!.match);
      for (const v of planted!.values) expect(JSON.stringify(first)).toContain(JSON.stringify(v));
    });
  }

  it('names the place of a lost write and of a skipped poll', () => {
    const lostRun = cloneRun(clean);
    const [value] = plantDefect(lostRun, 'lost', 0)!.values;
    const ack = [...clean.histories.values()].flat().find((l) => l.value === value && l.type === 'ok')!;
    expect(verdict(lostRun).anomalies.lost.examples).toEqual([
      expect.objectContaining({ value, partition: ack.partition, offset: ack.offset, process: ack.process }),
    ]);
    const skipRun = cloneRun(clean);
    const [skipped] = plantDefect(skipRun, 'skippedPoll', 0)!.values;
    const [offset] = clean.final.partitions['0']!.records.concat(clean.final.partitions['1']!.records).find(([, v]) => v === skipped)!;
    const example = verdict(skipRun).anomalies.skippedPoll.examples[0]!;
    expect(example).toMatchObject({ firstSkippedOffset: offset, skippedCount: 1, previousOffset: offset - 1, offset: offset + 1 });
  });
});

const T = 1_700_000_000_000;

function history(lines: Line[]): History {
  return mergeHistories([parseHistoryText(lines.map((l) => JSON.stringify(l)).join('\n'), 'h.jsonl')]);
}

function send(value: string, partition: number, time: number, outcome: 'ok' | 'fail' | 'info' | 'none', offset?: number | null): Line[] {
  const invoke = { type: 'invoke', f: 'send', process: 'p', time, partition, value };
  if (outcome === 'none') return [invoke];
  return [invoke, { ...invoke, type: outcome, time: time + 5, ...(outcome === 'ok' ? { offset } : { error: 'x' }) }];
}

function final(partitions: Record<string, { logStartOffset?: number; highWatermark: number; records: [number, string][] }>) {
  return parseFinalRead({ topic: 't', partitions: Object.fromEntries(Object.entries(partitions).map(([k, v]) => [k, { logStartOffset: 0, ...v }])) }, 'f.json');
}

describe('anomaly definitions at their edges', () => {
  it('an acknowledged value beyond the high watermark is unseen, not lost, and the run stays safe', () => {
    const h = history([...send('a', 0, T, 'ok', 0), ...send('b', 0, T + 10, 'ok', 1)]);
    const report = check(h, final({ '0': { highWatermark: 1, records: [[0, 'a']] } }));
    expect(report.anomalies.unseen).toEqual({ count: 1, examples: [expect.objectContaining({ value: 'b', offset: 1, highWatermark: 1 })] });
    expect(report.anomalies.lost.count).toBe(0);
    expect(report.safe).toBe(true);
    // A partition missing from the final read: unseen too.
    expect(check(h, final({})).anomalies.unseen.count).toBe(2);
  });

  it('an offsetless ack is lost when a later ack of its producer is covered, unseen otherwise', () => {
    const lines = [...send('a', 0, T, 'ok', null), ...send('b', 0, T + 10, 'ok', 1)];
    const covered = check(history(lines), final({ '0': { highWatermark: 2, records: [[1, 'b']] } }));
    expect(covered.anomalies.lost.examples).toEqual([expect.objectContaining({ value: 'a', offset: null })]);
    expect(covered.counts.sends.okOffsetUnknown).toBe(1);
    const last = check(history(send('a', 0, T, 'ok', -1001)), final({ '0': { highWatermark: 0, records: [] } }));
    expect(last.anomalies.lost.count).toBe(0);
    expect(last.anomalies.unseen.count).toBe(1);
    const present = check(history(lines), final({ '0': { highWatermark: 2, records: [[0, 'a'], [1, 'b']] } }));
    expect(nonZero(present)).toEqual([]);
  });

  it('an ack below the log start is counted, not judged', () => {
    const report = check(history(send('a', 0, T, 'ok', 0)), final({ '0': { logStartOffset: 1, highWatermark: 1, records: [] } }));
    expect(nonZero(report)).toEqual([]);
    expect(report.counts.ackedBelowLogStart).toBe(1);
  });

  it('polls may restart lower after a revoke or in a new generation, not within one ownership', () => {
    const poll = (time: number, generation: number, offsets: number[]) => ({
      type: 'ok', f: 'poll', process: 'c', time, member: 'm', generation, records: offsets.map((o) => [0, o, `v${o}`]),
    });
    const rebalance = (f: string, time: number, generation: number) => ({ type: 'ok', f, process: 'c', time, member: 'm', generation, partitions: [0] });
    const log = final({ '0': { highWatermark: 4, records: [0, 1, 2, 3].map((o) => [o, `v${o}`] as [number, string]) } });
    const sends = [0, 1, 2, 3].flatMap((o) => send(`v${o}`, 0, T + o, 'ok', o));
    const restarts = [poll(T + 100, 1, [0, 1, 2]), rebalance('revoke', T + 101, 1), rebalance('assign', T + 102, 1), poll(T + 103, 1, [1, 2]), poll(T + 104, 2, [0, 1, 2, 3])];
    expect(nonZero(check(history([...sends, ...restarts]), log))).toEqual([]);
    const backward = check(history([...sends, poll(T + 100, 1, [0, 1, 2]), poll(T + 103, 1, [1])]), log);
    expect(nonZero(backward)).toEqual(['nonmonotonicPoll']);
    expect(backward.anomalies.nonmonotonicPoll.examples[0]).toMatchObject({ previousOffset: 2, offset: 1, generation: 1, poll: 'h.jsonl:10' });
    // A jump over offsets the final read does not hold is no skip.
    const sparse = final({ '0': { highWatermark: 4, records: [[0, 'v0'], [3, 'v3']] } });
    const jump = history([...send('v0', 0, T, 'ok', 0), ...send('v3', 0, T + 1, 'ok', 3), poll(T + 100, 1, [0]), { ...poll(T + 101, 1, []), records: [[0, 3, 'v3']] }]);
    expect(nonZero(check(jump, sparse))).toEqual([]);
  });

  it('a lower commit in a new generation, another group or another process is no regression; a failed commit does not count', () => {
    const commit = (time: number, type: string, generation: number, offset: number, group = 'g', process = 'c') => ({
      type, f: 'commit', process, time, group, generation, offsets: [[0, offset]],
    });
    const lines = [
      commit(T, 'invoke', 1, 5), commit(T + 1, 'ok', 1, 5),
      commit(T + 2, 'invoke', 2, 3), commit(T + 3, 'ok', 2, 3),
      commit(T + 4, 'invoke', 1, 2, 'other'), commit(T + 5, 'ok', 1, 2, 'other'),
      commit(T + 6, 'invoke', 2, 9), commit(T + 7, 'fail', 2, 9),
      commit(T + 8, 'invoke', 2, 4), commit(T + 9, 'ok', 2, 4),
      commit(T + 10, 'invoke', 2, 1, 'g', 'd'), commit(T + 11, 'ok', 2, 1, 'g', 'd'), // another process's counter
    ];
    const report = check(history(lines), final({}));
    expect(nonZero(report)).toEqual([]);
    expect(report.counts.commits).toEqual({ invoked: 6, ok: 5, fail: 1, info: 0, indeterminate: 0 });
    const regressed = check(history([...lines, commit(T + 20, 'invoke', 2, 3), commit(T + 21, 'ok', 2, 3)]), final({}));
    expect(regressed.anomalies.committedOffsetRegression.examples).toEqual([
      expect.objectContaining({ generation: 2, partition: 0, offset: 3, previous: expect.objectContaining({ offset: 4 }) }),
    ]);
  });

  it('a failed send found in the log, or a value in another partition, is unexpected', () => {
    const h = history([...send('a', 0, T, 'fail'), ...send('b', 1, T + 10, 'info')]);
    const report = check(h, final({ '0': { highWatermark: 2, records: [[0, 'a'], [1, 'b']] } }));
    expect(report.anomalies.unexpected.examples).toEqual([
      expect.objectContaining({ value: 'a', reason: 'send failed' }),
      expect.objectContaining({ value: 'b', reason: 'wrong partition' }),
    ]);
    expect(report.safe).toBe(false);
  });

  it('keeps at most 20 examples but counts every finding', () => {
    const lines = Array.from({ length: 30 }, (_, i) => send(`v${i}`, 0, T + i * 10, 'ok', i)).flat();
    const report = check(history(lines), final({ '0': { highWatermark: 30, records: [] } }));
    expect(report.anomalies.lost.count).toBe(30);
    expect(report.anomalies.lost.examples).toHaveLength(20);
  });
});
