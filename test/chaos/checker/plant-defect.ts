/**
 * Test support: plants exactly one defect into a model run (model-run.ts), in place. Each
 * planter returns what it planted (the value or place the checker must name), or undefined
 * when the run offers no spot for it (too few records). `pick` chooses among the spots
 * (taken modulo their count), so a property test reaches every spot.
 *
 * Defects and the class each must raise:
 * - lost: an acknowledged value dropped from the final read;
 * - duplicate: a value of the final read appended again at the high watermark;
 * - inconsistentOffset: two final-read values of one partition swapped, the first of them
 *   acknowledged (its ack now disagrees with the read; polls may add duplicates too);
 * - nonmonotonicPoll: a poll repeated right after itself (its last record again);
 * - skippedPoll: a record dropped from the middle of one ownership's polls;
 * - outOfOrder: two acknowledged sends of one producer and partition trade places in the
 *   log (acks, polls and the final read all agree on the new places);
 * - committedOffsetRegression: a commit acknowledged again, just after, one offset lower;
 * - unexpected: a never-sent value appended to the final read.
 */
import type { AnomalyName } from './anomalies.ts';
import type { Line, RawRun } from './model-run.ts';

export type DefectKind = Exclude<AnomalyName, 'unseen'>;

export const DEFECT_KINDS: readonly DefectKind[] = [
  'lost',
  'duplicate',
  'inconsistentOffset',
  'nonmonotonicPoll',
  'skippedPoll',
  'outOfOrder',
  'committedOffsetRegression',
  'unexpected',
];

/** What was planted: the values the first finding must name, or fields it must have. */
export interface Planted {
  readonly kind: DefectKind;
  readonly values: readonly string[];
  readonly match: Readonly<Record<string, unknown>> | undefined;
}

type Planter = (run: RawRun, pick: number) => { values: readonly string[]; match?: Record<string, unknown> } | undefined;

function choose<T>(spots: readonly T[], pick: number): T | undefined {
  return spots.length === 0 ? undefined : spots[pick % spots.length];
}

function oks(run: RawRun): Line[] {
  return [...run.histories.values()].flat().filter((l) => l.f === 'send' && l.type === 'ok');
}

function finalPartition(run: RawRun, p: unknown) {
  return run.final.partitions[String(p)]!;
}

/** Renames values a ↔ b in every poll and in the final read. */
function swapValuesInReads(run: RawRun, a: string, b: string): void {
  const swap = (v: string) => (v === a ? b : v === b ? a : v);
  for (const list of run.histories.values()) {
    for (const l of list) if (l.f === 'poll') l.records = (l.records as [number, number, string][]).map(([p, o, v]) => [p, o, swap(v)]);
  }
  for (const fp of Object.values(run.final.partitions)) fp.records = fp.records.map(([o, v]) => [o, swap(v)]);
}

/** Ownership segments: per process, member, generation, partition, the polled records in order. */
function ownershipRecords(run: RawRun): { poll: Line; index: number }[][] {
  const segments: { poll: Line; index: number }[][] = [];
  for (const list of run.histories.values()) {
    const open = new Map<string, { poll: Line; index: number }[]>();
    for (const l of list) {
      if (l.f === 'assign' || l.f === 'revoke') {
        for (const p of l.partitions as number[]) open.delete(`${l.member}\0${p}`);
      } else if (l.f === 'poll') {
        (l.records as [number, number, string][]).forEach(([p], index) => {
          const key = `${l.member}\0${p}`;
          let seg = open.get(key);
          if (seg === undefined || seg[0]!.poll.generation !== l.generation) {
            open.set(key, (seg = []));
            segments.push(seg);
          }
          seg.push({ poll: l, index });
        });
      }
    }
  }
  return segments;
}

const planters: Record<DefectKind, Planter> = {
  lost(run, pick) {
    const ack = choose(oks(run), pick);
    if (ack === undefined) return undefined;
    const fp = finalPartition(run, ack.partition);
    fp.records = fp.records.filter(([, v]) => v !== ack.value);
    return { values: [ack.value as string] };
  },
  duplicate(run, pick) {
    const fp = choose(Object.values(run.final.partitions).filter((p) => p.records.length > 0), pick);
    if (fp === undefined) return undefined;
    const [, value] = fp.records[pick % fp.records.length]!;
    fp.records.push([fp.highWatermark, value]);
    fp.highWatermark++;
    return { values: [value] };
  },
  inconsistentOffset(run, pick) {
    const spots = oks(run).flatMap((ack) => {
      const fp = finalPartition(run, ack.partition);
      return fp.records.filter(([, v]) => v !== ack.value).map(([, other]) => [ack.value as string, other] as const);
    });
    const spot = choose(spots, pick);
    if (spot === undefined) return undefined;
    for (const fp of Object.values(run.final.partitions)) {
      fp.records = fp.records.map(([o, v]) => [o, v === spot[0] ? spot[1] : v === spot[1] ? spot[0] : v]);
    }
    return { values: spot };
  },
  nonmonotonicPoll(run, pick) {
    const spots = [...run.histories.values()].flatMap((list) => list.filter((l) => l.f === 'poll' && (l.records as unknown[]).length > 0).map((l) => [list, l] as const));
    const spot = choose(spots, pick);
    if (spot === undefined) return undefined;
    const [list, poll] = spot;
    const records = poll.records as [number, number, string][];
    const last = records[records.length - 1]!;
    list.splice(list.indexOf(poll) + 1, 0, { ...poll, time: (poll.time as number) + 1, records: [last] });
    return { values: [last[2]], match: { partition: last[0], previousOffset: last[1], offset: last[1] } };
  },
  skippedPoll(run, pick) {
    const spots = ownershipRecords(run).flatMap((seg) => seg.slice(1, -1));
    const spot = choose(spots, pick);
    if (spot === undefined) return undefined;
    const records = spot.poll.records as [number, number, string][];
    const [removed] = records.splice(spot.index, 1);
    return { values: [removed![2]], match: { partition: removed![0], firstSkippedOffset: removed![1], skippedCount: 1 } };
  },
  outOfOrder(run, pick) {
    const byProducerPartition = new Map<string, Line[]>();
    for (const ack of oks(run)) {
      const key = `${ack.process}\0${ack.partition}`;
      byProducerPartition.set(key, [...(byProducerPartition.get(key) ?? []), ack]);
    }
    const spots = [...byProducerPartition.values()].flatMap((acks) => acks.slice(1).map((later, i) => [acks[i]!, later] as const));
    const spot = choose(spots, pick);
    if (spot === undefined) return undefined;
    const [a, b] = spot;
    [a.offset, b.offset] = [b.offset, a.offset];
    swapValuesInReads(run, a.value as string, b.value as string);
    return { values: [a.value as string, b.value as string] };
  },
  committedOffsetRegression(run, pick) {
    const spots = [...run.histories.values()].flatMap((list) =>
      list.filter((l) => l.f === 'commit' && l.type === 'ok' && (l.offsets as [number, number][])[0]![1] > 0).map((l) => [list, l] as const),
    );
    const spot = choose(spots, pick);
    if (spot === undefined) return undefined;
    const [list, ok] = spot;
    const [p, o] = (ok.offsets as [number, number][])[0]!;
    const offsets = [[p, o - 1]];
    const at = list.indexOf(ok) + 1;
    list.splice(at, 0, { ...ok, type: 'invoke', time: (ok.time as number) + 0.25, offsets }, { ...ok, time: (ok.time as number) + 0.5, offsets });
    return { values: [], match: { partition: p, offset: o - 1 } };
  },
  unexpected(run, pick) {
    const fp = choose(Object.values(run.final.partitions), pick);
    if (fp === undefined) return undefined;
    fp.records.push([fp.highWatermark, 'ghost-value']);
    fp.highWatermark++;
    return { values: ['ghost-value'] };
  },
};

export function plantDefect(run: RawRun, kind: DefectKind, pick: number): Planted | undefined {
  const planted = planters[kind](run, pick);
  return planted === undefined ? undefined : { kind, values: planted.values, match: planted.match };
}
