// Availability counts the 1 s buckets from the first to the last send invoke that saw an ok
// completion; recovery per fault is the earliest ok completion among sends invoked after the
// fault's start (or end), minus that time.
import { describe, expect, it } from 'vitest';
import { availabilityOf, recoveries } from './availability.ts';
import { mergeHistories, pairOperations, parseHistoryText } from './history.ts';

const T = 1_700_000_000_000;

function run(lines: object[]) {
  const history = mergeHistories([parseHistoryText(lines.map((l) => JSON.stringify(l)).join('\n'), 'h.jsonl')]);
  return { history, sends: pairOperations(history).sends };
}

function send(value: string, invokeMs: number, outcome: 'ok' | 'info' | 'none', doneMs = invokeMs + 10): object[] {
  const invoke = { type: 'invoke', f: 'send', process: 'p', time: T + invokeMs, partition: 0, value };
  if (outcome === 'none') return [invoke];
  return [invoke, { ...invoke, type: outcome, time: T + doneMs, ...(outcome === 'ok' ? { offset: 0 } : { error: 'x' }) }];
}

const fault = (phase: string, ms: number, name = 'kill-leader') => ({ type: 'info', f: 'nemesis', process: 'nemesis', time: T + ms, fault: name, phase, detail: { broker: 1 } });

describe('availability', () => {
  it('is the share of 1 s buckets with an ok completion, with the longest gap', () => {
    // Invokes span 0 … 5500 ms: six buckets; oks complete in buckets 0, 1 and 5.
    const { sends } = run([...send('a', 0, 'ok'), ...send('b', 1200, 'ok'), ...send('c', 2000, 'info'), ...send('d', 3000, 'none'), ...send('e', 5500, 'ok')]);
    expect(availabilityOf(sends)).toMatchObject({ availability: 3 / 6, buckets: 6, availableBuckets: 3, longestUnavailableSeconds: 3 });
    expect(availabilityOf([])).toMatchObject({ availability: null, buckets: 0 });
  });
});

describe('recovery', () => {
  it('measures from each fault start and end to the first ok of a send invoked after it', () => {
    const { history, sends } = run([
      ...send('a', 0, 'ok'),
      fault('start', 1000),
      ...send('b', 1100, 'info', 3000), // invoked during the fault, never ok
      ...send('c', 1500, 'ok', 4200),
      fault('end', 2000),
      ...send('d', 2500, 'ok', 3600), // completes before c: the first ok after the start
      fault('start', 5000, 'pause'),
    ]);
    expect(recoveries(history, sends)).toEqual([
      { fault: 'kill-leader', startTime: T + 1000, endTime: T + 2000, detail: { broker: 1 }, recoveryFromStartMs: 2600, recoveryFromEndMs: 1600 },
      { fault: 'pause', startTime: T + 5000, endTime: null, detail: { broker: 1 }, recoveryFromStartMs: null, recoveryFromEndMs: null },
    ]);
  });
});
