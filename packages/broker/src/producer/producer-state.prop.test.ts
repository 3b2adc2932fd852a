// ProducerStateTable against a pipelining idempotent producer modelled on librdkafka:
// up to five batches in flight per partition, answered in order; a retriable answer sends
// the batch (and every later one) again from the first failed sequence, and a lost answer
// too (the batch may or may not be in the log). Before each append the "broker" may refuse
// the batch with a retriable error, and that choice flips at random between pipelined
// batches (the ISR growing back between two requests). The properties:
// - the table never answers OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH to this
//   producer (librdkafka bumps its epoch on the first, and renumbers messages an earlier
//   attempt may have appended: duplicates);
// - once refusals stop, every batch is in the log exactly once, in sequence order, and each
//   acknowledged batch's offsets are where the log holds it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProducerStateTable } from './producer-state.ts';

const PID = 42;
const EPOCH = 0;
const IN_FLIGHT_MAX = 5;
const REFUSED = 19; // NOT_ENOUGH_REPLICAS

interface Batch {
  readonly firstSeq: number;
  readonly count: number;
}

type Step = { readonly kind: 'send' } | { readonly kind: 'answer'; readonly refuse: boolean; readonly lose: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'send' }),
  fc.record({ kind: fc.constant('answer' as const), refuse: fc.boolean(), lose: fc.boolean() }),
);

interface Run {
  readonly violations: string[];
  readonly log: Array<{ firstSeq: number; lastSeq: number; firstOffset: number }>;
  readonly acked: Map<number, number>;
}

function simulate(batches: readonly Batch[], steps: readonly Step[]): Run {
  const table = new ProducerStateTable();
  const log: Run['log'] = [];
  const acked = new Map<number, number>(); // firstSeq → firstOffset answered
  const violations: string[] = [];
  let nextToSend = 0; // index into batches
  const inFlight: number[] = []; // indexes, in send order
  let resendFrom: number | null = null;

  const send = (): void => {
    if (resendFrom !== null && inFlight.length === 0) {
      nextToSend = resendFrom;
      resendFrom = null;
    }
    if (resendFrom !== null) return; // librdkafka drains the partition before retrying
    while (nextToSend < batches.length && inFlight.length < IN_FLIGHT_MAX) {
      if (acked.has(batches[nextToSend]!.firstSeq)) nextToSend++;
      else inFlight.push(nextToSend++);
    }
  };
  const ackEarlier = (i: number): void => {
    for (let j = 0; j < i; j++) {
      const seq = batches[j]!.firstSeq;
      if (acked.has(seq)) continue;
      const inLog = log.find((l) => l.firstSeq === seq);
      if (inLog === undefined) violations.push(`batch ${seq} acknowledged implicitly by batch ${batches[i]!.firstSeq} but not in the log`);
      else acked.set(seq, inLog.firstOffset);
    }
  };
  const answer = (refuse: boolean, lose: boolean): void => {
    const i = inFlight.shift();
    if (i === undefined) return;
    const b = batches[i]!;
    const lastSeq = b.firstSeq + b.count - 1;
    let retriable = false;
    if (refuse) {
      table.noteRefused(PID, EPOCH, b.firstSeq, REFUSED);
      retriable = true;
    } else {
      const check = table.check(PID, EPOCH, b.firstSeq, lastSeq);
      switch (check.kind) {
        case 'ok': {
          const firstOffset = log.length === 0 ? 0 : log[log.length - 1]!.firstOffset + 100;
          log.push({ firstSeq: b.firstSeq, lastSeq, firstOffset });
          table.record(PID, EPOCH, { firstSeq: b.firstSeq, lastSeq, firstOffset, lastOffset: firstOffset + b.count - 1, logAppendTimeMs: -1, maxTimestampMs: 0 });
          if (!lose) {
            acked.set(b.firstSeq, firstOffset);
            ackEarlier(i);
          }
          break;
        }
        case 'duplicate':
          if (!lose) {
            acked.set(b.firstSeq, check.batch.firstOffset);
            ackEarlier(i);
          }
          break;
        case 'after-refused-head':
          retriable = true;
          break;
        case 'out-of-order':
        case 'invalid-epoch':
          violations.push(`${check.kind} for sequence ${b.firstSeq} (log ${log.map((l) => l.firstSeq).join(',')})`);
          retriable = true;
          break;
      }
    }
    if (retriable || lose) resendFrom = Math.min(resendFrom ?? i, i);
  };

  for (const step of steps) {
    if (step.kind === 'send') send();
    else answer(step.refuse, step.lose);
  }
  // Faults stop: the producer gets everything through (bounded: each round answers one).
  for (let round = 0; round < 10 * batches.length + 20 && acked.size < batches.length; round++) {
    send();
    answer(false, false);
  }
  return { violations, log, acked };
}

function batchesOf(counts: readonly number[]): Batch[] {
  let seq = 0;
  return counts.map((count) => {
    const b = { firstSeq: seq, count };
    seq += count;
    return b;
  });
}

describe('ProducerStateTable with a pipelining idempotent producer', () => {
  it('never answers a sequence gap, and lands every batch once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 14 }), fc.array(stepArb, { maxLength: 80 }), (counts, steps) => {
        const batches = batchesOf(counts);
        const run = simulate(batches, steps);
        expect(run.violations).toEqual([]);
        expect(run.log.map((l) => l.firstSeq)).toEqual(batches.map((b) => b.firstSeq));
        expect(run.acked.size).toBe(batches.length);
        for (const l of run.log) expect(run.acked.get(l.firstSeq)).toBe(l.firstOffset);
      }),
      { numRuns: 400 },
    );
  });

  it('a lost answer followed by later successes is not resent (CI found this model gap: 6 batches, the first resent after 5 newer ones)', () => {
    const batches = batchesOf([1, 1, 1, 1, 1, 1]);
    const answerOk = { kind: 'answer', refuse: false, lose: false } as const;
    const run = simulate(batches, [{ kind: 'send' }, { kind: 'answer', refuse: false, lose: true }, answerOk, answerOk, answerOk, answerOk, { kind: 'send' }, { kind: 'answer', refuse: true, lose: false }]);
    expect(run.violations).toEqual([]);
    expect(run.log.map((l) => l.firstSeq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run.acked.get(0)).toBe(0);
  });

  it('the case the chaos suite found: the head refused, the state flips, the next batch gets the same retriable answer', () => {
    const batches = batchesOf([2, 1, 1]);
    // Send three; the first is refused (min ISR), then the ISR is back for the second and third.
    const run = simulate(batches, [{ kind: 'send' }, { kind: 'answer', refuse: true, lose: false }, { kind: 'answer', refuse: false, lose: false }, { kind: 'answer', refuse: false, lose: false }]);
    expect(run.violations).toEqual([]);
    expect(run.log.map((l) => l.firstSeq)).toEqual([0, 2, 3]);
  });

  it('without the refusal note, the same case is a sequence gap (the test can fail)', () => {
    const table = new ProducerStateTable();
    table.record(PID, EPOCH, { firstSeq: 0, lastSeq: 0, firstOffset: 0, lastOffset: 0, logAppendTimeMs: -1, maxTimestampMs: 0 });
    expect(table.check(PID, EPOCH, 2, 2)).toEqual({ kind: 'out-of-order', expectedSeq: 1 });
    table.noteRefused(PID, EPOCH, 1, REFUSED);
    expect(table.check(PID, EPOCH, 2, 2)).toEqual({ kind: 'after-refused-head', errorCode: REFUSED, refusedSeq: 1 });
    // The refused batch itself goes through; its append clears the note.
    expect(table.check(PID, EPOCH, 1, 1)).toEqual({ kind: 'ok' });
    table.record(PID, EPOCH, { firstSeq: 1, lastSeq: 1, firstOffset: 1, lastOffset: 1, logAppendTimeMs: -1, maxTimestampMs: 0 });
    expect(table.check(PID, EPOCH, 2, 2)).toEqual({ kind: 'ok' });
    expect(table.check(PID, EPOCH, 4, 4)).toEqual({ kind: 'out-of-order', expectedSeq: 2 });
  });

  it('notes only the next expected batch, ignores other epochs and producers, and forgets on clear', () => {
    const table = new ProducerStateTable();
    table.record(PID, EPOCH, { firstSeq: 0, lastSeq: 4, firstOffset: 0, lastOffset: 4, logAppendTimeMs: -1, maxTimestampMs: 0 });
    table.noteRefused(PID, EPOCH, 7, REFUSED); // not the head (5): a gap stays a gap
    expect(table.check(PID, EPOCH, 8, 8).kind).toBe('out-of-order');
    table.noteRefused(PID, EPOCH, 5, REFUSED);
    table.noteRefused(PID, EPOCH, 5, 6); // an earlier note of the epoch stands
    expect(table.check(PID, EPOCH, 6, 6)).toMatchObject({ kind: 'after-refused-head', errorCode: REFUSED });
    expect(table.check(PID + 1, EPOCH, 9, 9).kind).toBe('ok'); // unknown producer
    expect(table.check(PID, EPOCH + 1, 0, 0).kind).toBe('ok'); // a new epoch is not held back
    expect(table.check(PID, EPOCH, 0, 4).kind).toBe('duplicate'); // duplicates still answered
    // An unknown producer's refused first batch holds back its later ones too.
    table.noteRefused(PID + 2, 0, 3, REFUSED);
    expect(table.check(PID + 2, 0, 4, 4).kind).toBe('after-refused-head');
    expect(table.check(PID + 2, 0, 3, 3).kind).toBe('ok');
    table.clear();
    expect(table.check(PID + 2, 0, 4, 4).kind).toBe('ok');
  });

  it('keeps at most producersMax notes', () => {
    const table = new ProducerStateTable(3);
    for (let pid = 0; pid < 5; pid++) table.noteRefused(pid, 0, 0, REFUSED);
    const held = [0, 1, 2, 3, 4].filter((pid) => table.check(pid, 0, 1, 1).kind === 'after-refused-head');
    expect(held).toEqual([2, 3, 4]);
  });
});
