/**
 * Anomalies of acknowledged sends against the final read (definitions in
 * test/chaos/README.md, "Checker"):
 * - lost: ok with offset o on partition p, the final read covers o (logStartOffset ≤ o <
 *   highWatermark) and the value is nowhere in the final read. An ok without an offset
 *   (librdkafka's implicit ack) is lost when its value is absent, the partition's final read
 *   starts at offset 0 and a later-invoked send of the same process and partition was
 *   acknowledged at an offset the final read covers (ordered idempotent producers put the
 *   earlier record below it);
 * - unseen: ok, value absent from the final read, and the read does not reach it (o ≥
 *   highWatermark, the partition missing, or an offsetless ack not proven covered). Reported,
 *   not a safety failure by itself;
 * - out of order: one producer process, one partition, two ok sends with known offsets whose
 *   offsets are in the opposite order of their invokes. Each send whose offset is below the
 *   highest offset of an earlier-invoked ok send is one finding, paired with that send.
 * Acks below the final read's logStartOffset cannot be checked and are only counted.
 */
import { AnomalyList, type AnomalyClass, at } from './anomaly-list.ts';
import type { FinalRead } from './final-read.ts';
import type { SendOp } from './history.ts';

export interface LostWrite {
  readonly process: string;
  readonly partition: number;
  /** null: acknowledged without an offset. */
  readonly offset: number | null;
  readonly value: string;
  readonly ack: string;
}

export interface UnseenWrite extends LostWrite {
  readonly highWatermark: number | null;
}

export interface OutOfOrder {
  readonly process: string;
  readonly partition: number;
  readonly earlier: { readonly value: string; readonly offset: number; readonly invoke: string };
  readonly later: { readonly value: string; readonly offset: number; readonly invoke: string };
}

export interface SendAnomalies {
  readonly lost: AnomalyClass<LostWrite>;
  readonly unseen: AnomalyClass<UnseenWrite>;
  readonly outOfOrder: AnomalyClass<OutOfOrder>;
  /** Acknowledged below the final read's logStartOffset: not checkable. */
  readonly ackedBelowLogStart: number;
}

function finalValues(final: FinalRead): Set<string> {
  const values = new Set<string>();
  for (const p of final.partitions.values()) for (const [, value] of p.records) values.add(value);
  return values;
}

/** Per process and partition, the ok sends in invoke order. */
function ackedByProducerPartition(sends: readonly SendOp[]): Map<string, SendOp[]> {
  const groups = new Map<string, SendOp[]>();
  for (const op of sends) {
    if (op.outcome !== 'ok') continue;
    const key = `${op.process}\0${op.partition}`;
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(op);
  }
  return groups;
}

export function checkSends(sends: readonly SendOp[], final: FinalRead): SendAnomalies {
  const inFinal = finalValues(final);
  const lost = new AnomalyList<LostWrite>();
  const unseen = new AnomalyList<UnseenWrite>();
  const outOfOrder = new AnomalyList<OutOfOrder>();
  let ackedBelowLogStart = 0;
  for (const acked of ackedByProducerPartition(sends).values()) {
    const fp = final.partitions.get(acked[0]!.partition);
    // Walking backwards: does a later-invoked ack of this producer sit at a covered offset?
    const laterCovered: boolean[] = new Array<boolean>(acked.length).fill(false);
    let covered = false;
    for (let i = acked.length - 1; i >= 0; i--) {
      laterCovered[i] = covered;
      const o = acked[i]!.offset;
      if (fp !== undefined && o !== undefined && o >= fp.logStartOffset && o < fp.highWatermark) covered = true;
    }
    let highest: SendOp | undefined;
    for (let i = 0; i < acked.length; i++) {
      const op = acked[i]!;
      const o = op.offset;
      const finding = { process: op.process, partition: op.partition, offset: o ?? null, value: op.value, ack: at(op.completion!.where) };
      if (o !== undefined && fp !== undefined && o < fp.logStartOffset) ackedBelowLogStart++;
      else if (!inFinal.has(op.value)) {
        const isLost =
          fp !== undefined && (o !== undefined ? o < fp.highWatermark : fp.logStartOffset === 0 && laterCovered[i] === true);
        if (isLost) lost.add(finding);
        else unseen.add({ ...finding, highWatermark: fp?.highWatermark ?? null });
      }
      if (o === undefined) continue;
      if (highest !== undefined && o < highest.offset!) {
        outOfOrder.add({
          process: op.process,
          partition: op.partition,
          earlier: { value: highest.value, offset: highest.offset!, invoke: at(highest.invoke.where) },
          later: { value: op.value, offset: o, invoke: at(op.invoke.where) },
        });
      }
      if (highest === undefined || o > highest.offset!) highest = op;
    }
  }
  return { lost: lost.result(), unseen: unseen.result(), outOfOrder: outOfOrder.result(), ackedBelowLogStart };
}
