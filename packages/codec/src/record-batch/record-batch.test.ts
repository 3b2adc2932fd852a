/**
 * Record batch v2 against a batch hand-encoded from the spec (implementation.html), plus
 * the in-place writers, validation reasons, splitting and the view.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initCompression } from '../compression/index.ts';
import { DecodeError } from '../decode-error.ts';
import {
  RecordBatchView,
  batchBaseOffset,
  batchCrc,
  batchLastOffset,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchRecordCount,
  batchSizeBytes,
  batchTimestampType,
  buildRecordBatch,
  forEachBatch,
  iterateRecords,
  nextBatchEnd,
  setBatchBaseOffset,
  setBatchMaxTimestampAndLogAppendTime,
  setBatchPartitionLeaderEpoch,
  splitRecordBatches,
  validateRecordBatch,
} from './index.ts';

/** Bit-at-a-time CRC-32C, independent of the slicing implementation under test. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** One record, key "k", value "v", timestamp 1000, producer 7 epoch 3 sequence 5, leader epoch 9. */
function handEncodedBatch(): Uint8Array {
  const afterCrc = [
    0x00, 0x00, // attributes: no compression, create time
    0x00, 0x00, 0x00, 0x00, // lastOffsetDelta 0
    0, 0, 0, 0, 0, 0, 0x03, 0xe8, // baseTimestamp 1000
    0, 0, 0, 0, 0, 0, 0x03, 0xe8, // maxTimestamp 1000
    0, 0, 0, 0, 0, 0, 0, 7, // producerId 7
    0x00, 0x03, // producerEpoch 3
    0x00, 0x00, 0x00, 0x05, // baseSequence 5
    0x00, 0x00, 0x00, 0x01, // recordCount 1
    0x10, // record length 8 (zigzag 16)
    0x00, // attributes
    0x00, // timestampDelta 0
    0x00, // offsetDelta 0
    0x02, 0x6b, // key length 1, "k"
    0x02, 0x76, // value length 1, "v"
    0x00, // 0 headers
  ];
  const crc = referenceCrc32c(Uint8Array.from(afterCrc));
  return Uint8Array.from([
    0, 0, 0, 0, 0, 0, 0, 0, // baseOffset 0
    0x00, 0x00, 0x00, 0x3a, // batchLength 58
    0x00, 0x00, 0x00, 0x09, // partitionLeaderEpoch 9
    0x02, // magic
    crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff,
    ...afterCrc,
  ]);
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

describe('record batch v2', () => {
  beforeAll(() => initCompression());

  it('round-trips through every compression codec, bounded by maxDecompressedBytes', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({
      key: ascii(`key-${i % 7}`),
      value: ascii(`{"n":${i},"payload":"${'x'.repeat(i % 50)}"}`),
      headers: i % 3 === 0 ? [{ key: 'trace', value: ascii(String(i)) }] : [],
      timestampMs: 1_700_000_000_000 + i,
    }));
    const plain = buildRecordBatch(records);
    for (const compression of [1, 2, 3, 4] as const) {
      const b = buildRecordBatch(records, { compression, baseOffset: 100 });
      expect(new RecordBatchView(b).compression).toBe(compression);
      expect(b.length).toBeLessThan(plain.length);
      expect(validateRecordBatch(b)).toBeNull();
      expect(validateRecordBatch(b, 0, b.length, { deep: true })).toBeNull();
      const got = [...iterateRecords(b)];
      expect(got.map((r) => r.offset)).toEqual(records.map((_, i) => 100 + i));
      expect(got.map((r) => [text(r.key), text(r.value), r.headers, r.timestampMs])).toEqual(
        records.map((r) => [text(r.key), text(r.value), r.headers, r.timestampMs]),
      );
      const small = plain.length - 61 - 1;
      expect(validateRecordBatch(b, 0, b.length, { deep: true, maxDecompressedBytes: small })?.reason).toBe('bad-record-framing');
      let error: unknown;
      try {
        [...iterateRecords(b, 0, { maxDecompressedBytes: small })];
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).api).toBe('RecordBatch');
      expect((error as DecodeError).reason).toBe('too-large');
    }
  });

  it('builds exactly the bytes the spec describes', () => {
    const built = buildRecordBatch([{ key: ascii('k'), value: ascii('v'), timestampMs: 1000 }], {
      partitionLeaderEpoch: 9,
      producerId: 7,
      producerEpoch: 3,
      baseSequence: 5,
    });
    expect(Array.from(built)).toEqual(Array.from(handEncodedBatch()));
  });

  it('reads the header fields of the hand-encoded batch', () => {
    const b = handEncodedBatch();
    expect(validateRecordBatch(b)).toBeNull();
    const v = new RecordBatchView(b);
    expect([v.baseOffset, v.batchLength, v.sizeBytes, v.partitionLeaderEpoch, v.magic]).toEqual([0, 58, 70, 9, 2]);
    expect([v.lastOffsetDelta, v.lastOffset, v.nextOffset, v.baseTimestamp, v.maxTimestamp]).toEqual([0, 0, 1, 1000, 1000]);
    expect([v.producerId, v.producerEpoch, v.baseSequence, v.recordCount, v.compression]).toEqual([7, 3, 5, 1, 0]);
    expect([v.isTransactional, v.isControl, v.timestampType, v.crc]).toEqual([false, false, 'create', referenceCrc32c(b.subarray(21))]);
    const records = [...v.records()];
    expect(records).toHaveLength(1);
    expect(records[0]!.offset).toBe(0);
    expect(records[0]!.timestampMs).toBe(1000);
    expect(text(records[0]!.key)).toBe('k');
    expect(text(records[0]!.value)).toBe('v');
    expect(records[0]!.headers).toEqual([]);
  });

  it('reads fields at a non-zero position and keeps the CRC through in-place offset/epoch writes', () => {
    const batch = handEncodedBatch();
    const buf = new Uint8Array(5 + batch.length);
    buf.set(batch, 5);
    const crcBefore = batchCrc(buf, 5);
    setBatchBaseOffset(buf, 5, 2 ** 40 + 17);
    setBatchPartitionLeaderEpoch(buf, 5, 123);
    expect(batchBaseOffset(buf, 5)).toBe(2 ** 40 + 17);
    expect(batchLastOffset(buf, 5)).toBe(2 ** 40 + 17);
    expect(batchPartitionLeaderEpoch(buf, 5)).toBe(123);
    expect(batchCrc(buf, 5)).toBe(crcBefore);
    expect(validateRecordBatch(buf, 5)).toBeNull();
    expect([...iterateRecords(buf, 5)][0]!.offset).toBe(2 ** 40 + 17);
    expect(() => setBatchBaseOffset(buf, 5, -1)).toThrow(RangeError);
    expect(() => setBatchBaseOffset(buf, 5, 2 ** 53)).toThrow(RangeError);
  });

  it('switches a batch to log-append time and recomputes the CRC', () => {
    const b = buildRecordBatch([{ value: ascii('a'), timestampMs: 5 }, { value: ascii('b'), timestampMs: 9 }]);
    setBatchMaxTimestampAndLogAppendTime(b, 0, 777);
    expect(validateRecordBatch(b)).toBeNull();
    expect(batchTimestampType(b)).toBe('log-append');
    expect(batchMaxTimestamp(b)).toBe(777);
    expect([...iterateRecords(b)].map((r) => r.timestampMs)).toEqual([777, 777]);
  });

  it('builds log-append, transactional and control batches', () => {
    const b = buildRecordBatch([{ value: null, key: ascii('x'), headers: [{ key: 'h', value: null }] }], {
      timestampType: 'log-append',
      logAppendTime: 42,
      isTransactional: true,
      isControl: true,
      baseOffset: 10,
    });
    const v = new RecordBatchView(b);
    expect(v.validate()).toBeNull();
    expect([v.timestampType, v.isTransactional, v.isControl, v.maxTimestamp, v.baseTimestamp]).toEqual(['log-append', true, true, 42, 42]);
    const [r] = [...v.records()];
    expect(r).toEqual({ offset: 10, offsetDelta: 0, timestampMs: 42, key: ascii('x'), value: null, headers: [{ key: 'h', value: null }] });
  });

  it('names the reason for each kind of invalid batch', () => {
    const good = handEncodedBatch();
    const withByte = (at: number, value: number): Uint8Array => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    expect(validateRecordBatch(good.subarray(0, 60))?.reason).toBe('truncated');
    expect(validateRecordBatch(good.subarray(0, 69))?.reason).toBe('truncated');
    expect(validateRecordBatch(withByte(16, 1))?.reason).toBe('bad-magic');
    expect(validateRecordBatch(withByte(11, 48))?.reason).toBe('bad-length');
    expect(validateRecordBatch(withByte(66, 0x6c))?.reason).toBe('bad-crc');
    expect(validateRecordBatch(withByte(0, 0x80))?.reason).toBe('unsafe-integer');
    expect(validateRecordBatch(good, 0, 200)?.reason).toBe('truncated');
    expect(validateRecordBatch(good, -1)?.reason).toBe('truncated');
  });

  it('detects framing errors that carry a valid CRC', () => {
    const recrc = (b: Uint8Array): Uint8Array => {
      const c = referenceCrc32c(b.subarray(21));
      b.set([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff], 17);
      return b;
    };
    const count2 = recrc(Object.assign(handEncodedBatch(), {}).slice());
    count2[60] = 2; // recordCount 2 but lastOffsetDelta 0
    expect(validateRecordBatch(recrc(count2))?.reason).toBe('bad-record-count');
    const longKey = handEncodedBatch();
    longKey[65] = 0x08; // key length 4 runs past the record
    expect(validateRecordBatch(recrc(longKey))?.reason).toBe('bad-record-framing');
    const delta = handEncodedBatch();
    delta[64] = 0x02; // offsetDelta 1 > lastOffsetDelta 0
    expect(validateRecordBatch(recrc(delta))?.reason).toBe('bad-offsets');
    expect(() => [...iterateRecords(longKey)]).toThrow(DecodeError);
  });

  it('splits concatenated batches and reports a cut-off tail', () => {
    const a = buildRecordBatch([{ value: ascii('one') }]);
    const b = buildRecordBatch([{ value: ascii('two') }, { value: ascii('three') }], { baseOffset: 1 });
    const all = new Uint8Array(a.length + b.length + 30);
    all.set(a, 0);
    all.set(b, a.length);
    all.set(b.subarray(0, 30), a.length + b.length);
    const { batches, truncatedBytes } = splitRecordBatches(all);
    expect(batches.map((x) => x.length)).toEqual([a.length, b.length]);
    expect(batches[1]!.buffer).toBe(all.buffer);
    expect(truncatedBytes).toBe(30);
    expect(batches.map((x) => batchRecordCount(x))).toEqual([1, 2]);
    const seen: number[] = [];
    expect(forEachBatch(all, (pos, size) => seen.push(pos, size))).toBe(30);
    expect(seen).toEqual([0, a.length, a.length, b.length]);
    expect(nextBatchEnd(all, 0)).toBe(a.length);
    expect(nextBatchEnd(all, a.length + b.length)).toBe(-1);
    expect(batchSizeBytes(all, a.length)).toBe(b.length);
    expect(splitRecordBatches(all.subarray(0, 5))).toEqual({ batches: [], truncatedBytes: 5 });
  });

  it('returns a corrupt length as one batch that fails validation, not as truncation', () => {
    const a = buildRecordBatch([{ value: ascii('one') }]);
    const all = new Uint8Array(a.length + 70);
    all.set(a, 0);
    all[a.length + 11] = 3; // batchLength 3 < 49
    all[a.length + 16] = 2; // magic
    const { batches, truncatedBytes } = splitRecordBatches(all);
    expect(truncatedBytes).toBe(0);
    expect(batches).toHaveLength(2);
    expect(validateRecordBatch(batches[1]!)?.reason).toBe('bad-length');
  });

  it('round-trips large records, many records and far-apart timestamps (multi-byte varint paths)', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: i % 2 === 0 ? new Uint8Array(i * 7).fill(i & 0xff) : null,
      value: new Uint8Array(i === 5 ? 70_000 : i === 6 ? 9_000 : i).fill((i * 13) & 0xff),
      timestampMs: 1_700_000_000_000 + (i % 3 === 0 ? -i * 1e9 : i * 3e10),
    }));
    const b = buildRecordBatch(records, { baseOffset: 2 ** 40 });
    expect(validateRecordBatch(b)).toBeNull();
    const got = [...iterateRecords(b)];
    expect(got.map((r) => [r.offset, r.timestampMs, r.key, r.value])).toEqual(records.map((r, i) => [2 ** 40 + i, r.timestampMs, r.key, r.value]));
  });

  it('rejects bad builder input', () => {
    expect(() => buildRecordBatch([])).toThrow(RangeError);
    expect(() => buildRecordBatch([{ value: null, timestampMs: 1.5 }])).toThrow(RangeError);
    expect(() => buildRecordBatch([{ value: null }], { baseOffset: 2 ** 60 })).toThrow(RangeError);
  });
});
