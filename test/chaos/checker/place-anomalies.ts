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

/**
 * outer key → [inner key, source labels (≤ SOURCES_MAX)] entries. Nearly every outer key has
 * one entry, so a small array beats a Map and a Set per key (memory on runs of millions of records).
 */
type Claims = Map<string, { readonly inner: string; readonly sources: string[] }[]>;

function claim(claims: Claims, outer: string, inner: string, source: string): void {
  let entries = claims.get(outer);
  if (entries === undefined) claims.set(outer, (entries = []));
  let entry = entries.find((e) => e.inner === inner);
  if (entry === undefined) entries.push((entry = { inner, sources: [] }));
  if (entry.sources.length < SOURCES_MAX && !entry.sources.includes(source)) entry.sources.push(source);
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
  const labels = new Map<string, string>(); // one label string per source, not per record
  const label = (text: string) => labels.get(text) ?? (labels.set(text, text), text);
  for (const op of sends) if (op.offset !== undefined) claim(valuesAt, place(op.partition, op.offset), op.value, label(`ack ${op.process}`));
  for (const e of history.inFileOrder) {
    if (e.f !== 'poll' || e.records.length === 0) continue;
    const source = label(`poll ${e.process}`);
    for (const [p, o, v] of e.records) read(p, o, v, source);
  }
  for (const fp of [...final.partitions.values()].sort((a, b) => a.partition - b.partition)) {
    for (const [o, v] of fp.records) read(fp.partition, o, v, 'final read');
  }
  const duplicate = new AnomalyList<Duplicate>();
  for (const [value, places] of placesOf) {
    if (places.length < 2) continue;
    duplicate.add({ value, places: places.map(({ inner, sources }) => ({ partition: unplace(inner)[0], offset: unplace(inner)[1], sources })) });
  }
  const inconsistentOffset = new AnomalyList<InconsistentOffset>();
  for (const [key, values] of valuesAt) {
    if (values.length < 2) continue;
    const [partition, offset] = unplace(key);
    inconsistentOffset.add({ partition, offset, values: values.map(({ inner, sources }) => ({ value: inner, sources })) });
  }
  return { duplicate: duplicate.result(), inconsistentOffset: inconsistentOffset.result(), unexpected: unexpected.result(), valuesRead: placesOf.size };
}
