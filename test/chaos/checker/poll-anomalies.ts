/**
 * Anomalies of one consumer's polls (definitions in test/chaos/README.md, "Checker").
 * An ownership is one consumer member (process + member id) holding one partition
 * continuously: it starts at the first polled record of that partition and ends at a
 * revoke or an assign naming the partition, or at a poll of another generation. Within it:
 * - nonmonotonic poll: a polled offset ≤ the previous offset polled (each backward step is
 *   one finding; the ownership continues from the new offset);
 * - skipped poll: consecutive polled offsets last < o with a record in the final read at
 *   some offset strictly between them.
 * A member's events are taken in file order (one process writes one file), so a wall-clock
 * step cannot reorder them. Records within one poll count in the order listed.
 */
import { AnomalyList, type AnomalyClass, at } from './anomaly-list.ts';
import type { FinalRead } from './final-read.ts';
import type { History } from './history.ts';

export interface PollStep {
  readonly process: string;
  readonly member: string;
  readonly generation: number;
  readonly partition: number;
  readonly previousOffset: number;
  readonly offset: number;
  /** The value polled at `offset`. */
  readonly value: string;
  readonly poll: string;
}

export interface SkippedPoll extends PollStep {
  /** Final-read records strictly between previousOffset and offset. */
  readonly skippedCount: number;
  readonly firstSkippedOffset: number;
  readonly firstSkippedValue: string;
}

export interface PollAnomalies {
  readonly nonmonotonicPoll: AnomalyClass<PollStep>;
  readonly skippedPoll: AnomalyClass<SkippedPoll>;
  readonly polls: number;
  readonly polledRecords: number;
}

/** Index of the first element of the sorted `offsets` above `offset`. */
function firstAbove(offsets: readonly number[], offset: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid]! > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function checkPolls(history: History, final: FinalRead): PollAnomalies {
  const finalOffsets = new Map<number, number[]>();
  for (const fp of final.partitions.values()) finalOffsets.set(fp.partition, fp.records.map(([o]) => o));
  const finalValue = (partition: number, index: number) => final.partitions.get(partition)!.records[index]![1];
  const owned = new Map<string, { generation: number; last: number }>(); // process\0member\0partition
  const nonmonotonicPoll = new AnomalyList<PollStep>();
  const skippedPoll = new AnomalyList<SkippedPoll>();
  let polls = 0;
  let polledRecords = 0;
  for (const e of history.inFileOrder) {
    if (e.f === 'assign' || e.f === 'revoke') {
      for (const p of e.partitions) owned.delete(`${e.process}\0${e.member}\0${p}`);
      continue;
    }
    if (e.f !== 'poll' || e.type !== 'ok') continue;
    polls++;
    for (const [partition, offset, value] of e.records) {
      polledRecords++;
      const key = `${e.process}\0${e.member}\0${partition}`;
      const state = owned.get(key);
      if (state === undefined || state.generation !== e.generation) {
        owned.set(key, { generation: e.generation, last: offset });
        continue;
      }
      const step = { process: e.process, member: e.member, generation: e.generation, partition, previousOffset: state.last, offset, value, poll: at(e.where) };
      if (offset <= state.last) nonmonotonicPoll.add(step);
      else if (offset > state.last + 1) {
        const offsets = finalOffsets.get(partition) ?? [];
        const from = firstAbove(offsets, state.last);
        const to = firstAbove(offsets, offset - 1);
        if (to > from) skippedPoll.add({ ...step, skippedCount: to - from, firstSkippedOffset: offsets[from]!, firstSkippedValue: finalValue(partition, from) });
      }
      state.last = offset;
    }
  }
  return { nonmonotonicPoll: nonmonotonicPoll.result(), skippedPoll: skippedPoll.result(), polls, polledRecords };
}
