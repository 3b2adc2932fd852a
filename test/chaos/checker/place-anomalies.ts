/**
 * Anomalies of where values sit (definitions in test/chaos/README.md, "Checker"). A place
 * is a (partition, offset); three sources claim places for values: send acknowledgements
 * (ok with an offset), polls, and the final read.
 * - duplicate: one value at two or more places in the polls and the final read together
 *   (acks are left out: an ack naming the wrong place is an inconsistent offset, or a
 *   lost write if nothing reads the value);
 * - inconsistent offset: one place holding two or more values across all three sources;
 * - unexpected: a value polled or in the final read that no send invoked, whose send
 *   failed (fail means certainly not written), or that sits in another partition than its
 *   send named.
 * Sources are named in examples ("ack <process>", "poll <process>", "final read"); at most
 * SOURCES_MAX per place and value are kept.
 */
import { AnomalyList, type AnomalyClass } from './anomaly-list.ts';
import type { FinalRead } from './final-read.ts';
import type { History, SendOp } from './history.ts';

const SOURCES_MAX = 4;

export interface Duplicate {
  readonly value: string;
  readonly places: readonly { readonly partition: number; readonly offset: number; readonly sources: readonly string[] }[];
}

export interface InconsistentOffset {
  readonly partition: number;
  readonly offset: number;
  readonly values: readonly { readonly value: string; readonly sources: readonly string[] }[];
}

export interface Unexpected {
  readonly value: string;
  readonly partition: number;
  readonly offset: number;
  readonly reason: 'never sent' | 'send failed' | 'wrong partition';
  readonly source: string;
}

export interface PlaceAnomalies {
  readonly duplicate: AnomalyClass<Duplicate>;
  readonly inconsistentOffset: AnomalyClass<InconsistentOffset>;
  readonly unexpected: AnomalyClass<Unexpected>;
  /** Distinct values in the polls and the final read. */
  readonly valuesRead: number;
}

/** outer key → inner key → source labels (bounded). */
type Claims = Map<string, Map<string, Set<string>>>;

function claim(claims: Claims, outer: string, inner: string, source: string): void {
  let inners = claims.get(outer);
  if (inners === undefined) claims.set(outer, (inners = new Map()));
  let sources = inners.get(inner);
  if (sources === undefined) inners.set(inner, (sources = new Set()));
  if (sources.size < SOURCES_MAX) sources.add(source);
}

function place(partition: number, offset: number): string {
  return `${partition}:${offset}`;
}

function unplace(key: string): [number, number] {
  const [p, o] = key.split(':');
  return [Number(p), Number(o)];
}

export function checkPlaces(history: History, sends: readonly SendOp[], final: FinalRead): PlaceAnomalies {
  const valuesAt: Claims = new Map(); // place → value → sources
  const placesOf: Claims = new Map(); // value → place → sources (polls and final read)
  const sendOf = new Map<string, SendOp>();
  for (const op of sends) sendOf.set(op.value, op);
  const unexpected = new AnomalyList<Unexpected>();
  const unexpectedSeen = new Set<string>();
  const read = (partition: number, offset: number, value: string, source: string) => {
    claim(valuesAt, place(partition, offset), value, source);
    claim(placesOf, value, place(partition, offset), source);
    if (unexpectedSeen.has(value)) return;
    const op = sendOf.get(value);
    const reason = op === undefined ? 'never sent' : op.outcome === 'fail' ? 'send failed' : op.partition !== partition ? 'wrong partition' : undefined;
    if (reason === undefined) return;
    unexpectedSeen.add(value);
    unexpected.add({ value, partition, offset, reason, source });
  };
  for (const op of sends) if (op.offset !== undefined) claim(valuesAt, place(op.partition, op.offset), op.value, `ack ${op.process}`);
  for (const e of history.inFileOrder) {
    if (e.f === 'poll') for (const [p, o, v] of e.records) read(p, o, v, `poll ${e.process}`);
  }
  for (const fp of [...final.partitions.values()].sort((a, b) => a.partition - b.partition)) {
    for (const [o, v] of fp.records) read(fp.partition, o, v, 'final read');
  }
  const duplicate = new AnomalyList<Duplicate>();
  for (const [value, places] of placesOf) {
    if (places.size < 2) continue;
    duplicate.add({ value, places: [...places].map(([key, sources]) => ({ partition: unplace(key)[0], offset: unplace(key)[1], sources: [...sources] })) });
  }
  const inconsistentOffset = new AnomalyList<InconsistentOffset>();
  for (const [key, values] of valuesAt) {
    if (values.size < 2) continue;
    const [partition, offset] = unplace(key);
    inconsistentOffset.add({ partition, offset, values: [...values].map(([value, sources]) => ({ value, sources: [...sources] })) });
  }
  return { duplicate: duplicate.result(), inconsistentOffset: inconsistentOffset.result(), unexpected: unexpected.result(), valuesRead: placesOf.size };
}
