// decodePartitionRecords: offsets below the fetch offset skipped (compressed batches are
// served whole), control batches never returned, read_committed drops aborted
// transactions up to their ABORT marker and keeps committed ones, read_uncommitted keeps
// everything, a cut-off last batch is ignored, leader epochs and nextOffset reported.
import { buildRecordBatch } from '@samsa/codec/wire';
import type { RecordInput } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { decodePartitionRecords, recordsOfScan, scanPartitionRecords } from './decode-partition-records.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const rec = (v: string): RecordInput => ({ key: null, value: enc.encode(v), timestampMs: 1_000 });
/** A control record: key = int16 version 0, int16 type (0 abort, 1 commit). */
const marker = (type: 0 | 1): RecordInput => ({ key: new Uint8Array([0, 0, 0, type]), value: new Uint8Array(6), timestampMs: 1_000 });
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** offsets 0-1 plain; 2-3 txn of producer 7 (aborted, marker at 4); 5-6 txn of producer 8 (committed, marker at 7); 8 plain. */
function log(): Uint8Array {
  return concat([
    buildRecordBatch([rec('a'), rec('b')], { baseOffset: 0, partitionLeaderEpoch: 3 }),
    buildRecordBatch([rec('t7-x'), rec('t7-y')], { baseOffset: 2, producerId: 7, producerEpoch: 0, isTransactional: true, partitionLeaderEpoch: 3 }),
    buildRecordBatch([marker(0)], { baseOffset: 4, producerId: 7, producerEpoch: 0, isTransactional: true, isControl: true, partitionLeaderEpoch: 3 }),
    buildRecordBatch([rec('t8-x'), rec('t8-y')], { baseOffset: 5, producerId: 8, producerEpoch: 0, isTransactional: true, partitionLeaderEpoch: 4 }),
    buildRecordBatch([marker(1)], { baseOffset: 7, producerId: 8, producerEpoch: 0, isTransactional: true, isControl: true, partitionLeaderEpoch: 4 }),
    buildRecordBatch([rec('c')], { baseOffset: 8, partitionLeaderEpoch: 5 }),
  ]);
}

const values = (r: ReturnType<typeof decodePartitionRecords>): string[] => r.records.map((x) => dec.decode(x.value!));

describe('decodePartitionRecords', () => {
  it('read_uncommitted returns every data record and skips control batches', () => {
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: log(), fetchOffset: 0, abortedTransactions: null });
    expect(values(r)).toEqual(['a', 'b', 't7-x', 't7-y', 't8-x', 't8-y', 'c']);
    expect(r.records.map((x) => x.offset)).toEqual([0n, 1n, 2n, 3n, 5n, 6n, 8n]);
    expect(r.nextOffset).toBe(9);
    expect(r.lastEpoch).toBe(5);
    expect(r.records[4]!.leaderEpoch).toBe(4);
  });

  it('read_committed drops the aborted transaction and keeps the committed one', () => {
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: log(), fetchOffset: 0, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(values(r)).toEqual(['a', 'b', 't8-x', 't8-y', 'c']);
    expect(r.nextOffset).toBe(9);
  });

  it('an abort marker ends the abort: a later transaction of the same producer is kept', () => {
    const bytes = concat([
      log(),
      buildRecordBatch([rec('t7-again')], { baseOffset: 9, producerId: 7, producerEpoch: 0, isTransactional: true }),
    ]);
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 0, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(values(r)).toContain('t7-again');
  });

  it('skips records below the fetch offset and ignores a cut-off last batch', () => {
    const bytes = log();
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: bytes.subarray(0, bytes.length - 5), fetchOffset: 1, abortedTransactions: null });
    expect(r.records[0]!.offset).toBe(1n);
    expect(r.nextOffset).toBe(8); // the cut batch (offset 8) is fetched again
    expect(values(r)).not.toContain('c');
  });

  it('only control or aborted records: nothing returned, nextOffset moves past them', () => {
    const bytes = concat([
      buildRecordBatch([rec('t7-x')], { baseOffset: 2, producerId: 7, producerEpoch: 0, isTransactional: true }),
      buildRecordBatch([marker(0)], { baseOffset: 3, producerId: 7, producerEpoch: 0, isTransactional: true, isControl: true }),
    ]);
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 2, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(r.records).toEqual([]);
    expect(r.nextOffset).toBe(4);
  });

  it('decodes compressed batches through the codec', () => {
    const bytes = buildRecordBatch([rec('z0'), rec('z1'), rec('z2')], { baseOffset: 10, compression: 1 });
    const r = decodePartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 11, abortedTransactions: null });
    expect(values(r)).toEqual(['z1', 'z2']);
  });

  it('the scan alone moves the fetch position and keeps only batches with deliverable records; decoding it later gives the same records', () => {
    const bytes = log();
    const scan = scanPartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 1, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(scan.nextOffset).toBe(9);
    expect(scan.lastEpoch).toBe(5);
    expect(scan.sizeBytes).toBe(bytes.length);
    // Kept: offsets 0-1 (only 1 counts), 5-6, 8; dropped: the aborted 2-3 and both markers.
    expect(scan.batchPositions).toHaveLength(3);
    expect(scan.recordCountEstimate).toBe(4);
    const whole = decodePartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 1, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(recordsOfScan(scan).map((r) => dec.decode(r.value!))).toEqual(values(whole));
    expect(values(whole)).toEqual(['b', 't8-x', 't8-y', 'c']);
  });

  it('a control-only answer scans to no batches and a position past the markers', () => {
    const bytes = buildRecordBatch([marker(1)], { baseOffset: 10, producerId: 8, producerEpoch: 0, isTransactional: true, isControl: true, partitionLeaderEpoch: 6 });
    const scan = scanPartitionRecords({ topic: 't', partition: 0, records: bytes, fetchOffset: 10, abortedTransactions: null });
    expect(scan.batchPositions).toEqual([]);
    expect(scan.nextOffset).toBe(11);
    expect(recordsOfScan(scan)).toEqual([]);
  });
});
