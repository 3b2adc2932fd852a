// Legacy message sets (magic 0/1): golden frames from kafka-python 2.0.2, Kafka's offset
// and timestamp rules, every refusal reason, and both conversions to and from record batch v2.
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, gzipDecompress, initCompression, lz4Decompress, xxh32 } from '../compression/index.ts';
import { batchCompression, batchTimestampType, buildRecordBatch, iterateRecords, validateRecordBatch } from '../record-batch/index.ts';
import type { RecordInput } from '../record-batch/index.ts';
import {
  KAFKA_PYTHON_RECORDS,
  KAFKA_PYTHON_V0_GZIP_HEX,
  KAFKA_PYTHON_V0_PLAIN_HEX,
  KAFKA_PYTHON_V1_GZIP_HEX,
  KAFKA_PYTHON_V1_PLAIN_HEX,
} from './fixtures/kafka-python-message-sets.ts';
import { buildMessageSet, crc32, downConvertRecordBatches, readMessageSet, upConvertMessageSet, validateMessageSet } from './index.ts';
import type { LegacyRecord, LegacyRecordInput } from './index.ts';

const enc = new TextEncoder();
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

const PY_INPUTS: LegacyRecordInput[] = KAFKA_PYTHON_RECORDS.map((r) => ({
  offset: r.offset,
  timestampMs: r.timestampMs,
  key: r.key === null ? null : enc.encode(r.key),
  value: enc.encode(r.value),
}));

function readOk(bytes: Uint8Array, allowTruncatedTail = false): LegacyRecord[] {
  const read = readMessageSet(bytes, { allowTruncatedTail });
  if (read.invalid !== null) throw new Error(`${read.invalid.reason}: ${read.invalid.detail}`);
  return read.records;
}

function summary(records: readonly LegacyRecord[]) {
  return records.map((r) => ({ offset: r.offset, timestampMs: r.timestampMs, key: text(r.key), value: text(r.value) }));
}

function pyExpected(magic: 0 | 1) {
  return KAFKA_PYTHON_RECORDS.map((r) => ({ offset: r.offset, timestampMs: magic === 0 ? -1 : r.timestampMs, key: r.key, value: r.value }));
}

/** Recomputes the CRC-32 of the entry at `pos` after a test changed its bytes. */
function fixCrc(b: Uint8Array, pos = 0): Uint8Array {
  const end = pos + 12 + view(b).getInt32(pos + 8);
  view(b).setUint32(pos + 12, crc32(b, pos + 16, end));
  return b;
}

describe('crc32', () => {
  it('is CRC-32 (IEEE): the check value of "123456789" is 0xcbf43926', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(enc.encode('x123456789y'), 1, 10)).toBe(0xcbf43926);
  });
});

describe('golden message sets from kafka-python 2.0.2', () => {
  const cases = [
    { magic: 0 as const, plain: KAFKA_PYTHON_V0_PLAIN_HEX, gzip: KAFKA_PYTHON_V0_GZIP_HEX },
    { magic: 1 as const, plain: KAFKA_PYTHON_V1_PLAIN_HEX, gzip: KAFKA_PYTHON_V1_GZIP_HEX },
  ];
  for (const { magic, plain, gzip } of cases) {
    it(`magic ${magic}: the plain set parses, and buildMessageSet writes the same bytes`, () => {
      const records = readOk(hex(plain));
      expect(summary(records)).toEqual(pyExpected(magic));
      expect(records.every((r) => r.magic === magic && r.compression === 0 && !r.logAppendTime)).toBe(true);
      expect(toHex(buildMessageSet(PY_INPUTS, { magic }))).toBe(plain);
    });

    it(`magic ${magic}: the gzip set parses; its inner set is byte for byte what we write`, () => {
      const bytes = hex(gzip);
      const records = readOk(bytes);
      // kafka-python's wrapper offset is 0: Kafka reads magic 1 inner offsets from base 0.
      expect(summary(records)).toEqual(pyExpected(magic));
      expect(records.every((r) => r.compression === 1)).toBe(true);
      expect(view(bytes).getBigInt64(0)).toBe(0n);
      expect(bytes[17]).toBe(1);
      const valueAt = magic === 0 ? 22 : 30;
      const inner = gzipDecompress(bytes.subarray(valueAt + 4), 1 << 20);
      expect(toHex(inner)).toBe(plain);
    });

    it(`magic ${magic}: our gzip set reads back the same records (wrapper offset = last offset)`, () => {
      const ours = buildMessageSet(PY_INPUTS, { magic, compression: 1 });
      expect(view(ours).getBigInt64(0)).toBe(2n);
      if (magic === 1) expect(view(ours).getBigInt64(18)).toBe(BigInt(KAFKA_PYTHON_RECORDS[1].timestampMs));
      expect(summary(readOk(ours))).toEqual(pyExpected(magic));
    });

    it(`magic ${magic}: up-converts to one v2 batch (offsets 0.., timestamps by Kafka's rule, codec kept)`, () => {
      for (const [source, codec] of [
        [plain, 0],
        [gzip, 1],
      ] as const) {
        const up = upConvertMessageSet(hex(source));
        if (up.invalid !== null) throw new Error(up.invalid.detail);
        expect(validateRecordBatch(up.batch, 0, up.batch.length, { deep: true })).toBeNull();
        expect(batchCompression(up.batch, 0)).toBe(codec);
        expect(up.recordCount).toBe(3);
        const got = [...iterateRecords(up.batch)].map((r) => ({ offset: r.offset, timestampMs: r.timestampMs, key: text(r.key), value: text(r.value), headers: r.headers.length }));
        expect(got).toEqual(pyExpected(magic).map((r) => ({ ...r, headers: 0 })));
      }
    });
  }
});

describe('encoding by hand from the spec', () => {
  it('one magic 0 message: offset, size, crc, magic, attributes, null key, value', () => {
    const b = buildMessageSet([{ offset: 5, key: null, value: enc.encode('a') }], { magic: 0 });
    const body = [0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x61];
    const crc = crc32(Uint8Array.from(body));
    expect([...b]).toEqual([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 15, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff, ...body]);
  });

  it('one magic 1 log-append message: bit 3 set, the append time written', () => {
    const b = buildMessageSet([{ offset: 0, key: enc.encode('k'), value: null, timestampMs: 7 }], { magic: 1, timestampType: 'log-append', logAppendTime: 99 });
    expect(b[17]).toBe(8);
    expect(view(b).getBigInt64(18)).toBe(99n);
    expect(readOk(b)[0]).toMatchObject({ timestampMs: 99, logAppendTime: true, value: null });
  });
});

describe("Kafka's inner offset and timestamp rules", () => {
  const inner = (magic: 0 | 1, offsets: number[], attributes = 0) =>
    buildMessageSet(
      offsets.map((offset, i) => ({ offset, timestampMs: 1000 + i, value: enc.encode(`v${i}`) })),
      { magic, ...(attributes === 8 ? { timestampType: 'log-append' as const, logAppendTime: 5 } : {}) },
    );
  /** A wrapper of `codec` at `wrapperOffset` around the message set `set`. */
  const wrap = (magic: 0 | 1, wrapperOffset: number, set: Uint8Array, codec = 1, attributes = 0, timestampMs = 4242) => {
    const value = compress(codec as 1, set);
    const size = (magic === 0 ? 14 : 22) + value.length;
    const b = new Uint8Array(12 + size);
    view(b).setBigInt64(0, BigInt(wrapperOffset));
    view(b).setInt32(8, size);
    b[16] = magic;
    b[17] = codec | attributes;
    let p = 18;
    if (magic === 1) {
      view(b).setBigInt64(p, BigInt(timestampMs));
      p += 8;
    }
    view(b).setInt32(p, -1);
    view(b).setInt32(p + 4, value.length);
    b.set(value, p + 8);
    return fixCrc(b);
  };

  it('magic 1: inner offsets are relative to wrapper offset − last inner offset', () => {
    expect(readOk(wrap(1, 10, inner(1, [0, 1, 2]))).map((r) => r.offset)).toEqual([8, 9, 10]);
  });
  it('magic 1: a wrapper offset of 0 (kafka-python, old librdkafka) means base 0', () => {
    expect(readOk(wrap(1, 0, inner(1, [0, 1, 2]))).map((r) => r.offset)).toEqual([0, 1, 2]);
  });
  it('magic 1: a non-zero wrapper offset below the last inner offset is refused', () => {
    expect(validateMessageSet(wrap(1, 1, inner(1, [0, 1, 2])))?.reason).toBe('bad-wrapper');
  });
  it('magic 0: inner offsets are absolute', () => {
    expect(readOk(wrap(0, 0, inner(0, [40, 41, 43]))).map((r) => r.offset)).toEqual([40, 41, 43]);
  });
  it('magic 1: inner messages of a log-append wrapper take its timestamp; of a create-time one their own', () => {
    expect(readOk(wrap(1, 2, inner(1, [0, 1, 2]), 1, 8, 777)).map((r) => [r.timestampMs, r.logAppendTime])).toEqual([
      [777, true],
      [777, true],
      [777, true],
    ]);
    expect(readOk(wrap(1, 2, inner(1, [0, 1, 2]))).map((r) => r.timestampMs)).toEqual([1000, 1001, 1002]);
  });
  it('refuses nested compression, a magic mismatch, a null or empty wrapper, zstd and unknown codecs', () => {
    const nested = wrap(1, 0, wrap(1, 0, inner(1, [0])));
    expect(validateMessageSet(nested)?.reason).toBe('bad-wrapper');
    expect(validateMessageSet(wrap(1, 0, inner(0, [0])))?.reason).toBe('bad-wrapper');
    expect(validateMessageSet(wrap(1, 0, new Uint8Array(0)))?.reason).toBe('bad-wrapper');
    const nullValue = buildMessageSet([{ offset: 0, value: null }], { magic: 0 });
    nullValue[17] = 1;
    expect(validateMessageSet(fixCrc(nullValue))?.reason).toBe('bad-wrapper');
    const zstd = buildMessageSet([{ offset: 0, value: enc.encode('x') }], { magic: 1 });
    zstd[17] = 4;
    expect(validateMessageSet(fixCrc(zstd))?.reason).toBe('unsupported-compression');
    zstd[17] = 5;
    expect(validateMessageSet(fixCrc(zstd))?.reason).toBe('bad-compression');
    const garbage = wrap(1, 0, inner(1, [0]));
    garbage[garbage.length - 5]! ^= 0xff;
    expect(['decompression', 'bad-crc']).toContain(validateMessageSet(fixCrc(garbage))?.reason);
  });
  it('bounds decompression (a bomb is too-large) and each top-level message (entryBytesMax)', () => {
    const big = wrap(1, 0, buildMessageSet([{ offset: 0, value: new Uint8Array(100_000) }], { magic: 1 }));
    expect(big.length).toBeLessThan(1000);
    expect(readMessageSet(big, { maxDecompressedBytes: 50_000 }).invalid?.reason).toBe('too-large');
    expect(readMessageSet(big, { entryBytesMax: big.length - 1 }).invalid?.reason).toBe('too-large');
    expect(readMessageSet(big, { entryBytesMax: big.length }).invalid).toBeNull();
  });
});

describe('framing refusals', () => {
  const two = () => buildMessageSet(PY_INPUTS.slice(0, 2), { magic: 1 });
  it('a CRC mismatch', () => {
    const b = two();
    b[b.length - 1]! ^= 1;
    expect(validateMessageSet(b)?.reason).toBe('bad-crc');
  });
  it('a cut-off last message: refused for Produce, counted for Fetch', () => {
    const b = two().subarray(0, two().length - 3);
    expect(validateMessageSet(b)?.reason).toBe('truncated');
    const read = readMessageSet(b, { allowTruncatedTail: true });
    expect(read.invalid === null && read.records.length === 1 && read.truncatedBytes > 0).toBe(true);
  });
  it('messageSize below the overhead, magic 2, lengths that do not fill the message, an unsafe offset', () => {
    const small = two();
    view(small).setInt32(8, 13);
    expect(validateMessageSet(small)?.reason).toBe('bad-size');
    const v1short = buildMessageSet([{ offset: 0, value: null }], { magic: 0 });
    v1short[16] = 1;
    expect(validateMessageSet(fixCrc(v1short))?.reason).toBe('bad-size');
    const magic2 = two();
    magic2[16] = 2;
    expect(validateMessageSet(fixCrc(magic2))?.reason).toBe('bad-magic');
    const framing = two();
    view(framing).setInt32(26, 1000);
    expect(validateMessageSet(fixCrc(framing))?.reason).toBe('bad-framing');
    const unsafe = two();
    view(unsafe).setBigInt64(0, 2n ** 60n);
    expect(validateMessageSet(unsafe)?.reason).toBe('unsafe-integer');
  });
  it('an empty set reads as no records; up-conversion refuses it', () => {
    expect(readOk(new Uint8Array(0))).toEqual([]);
    expect(upConvertMessageSet(new Uint8Array(0)).invalid?.reason).toBe('empty');
  });
});

describe('up-conversion timestamp types', () => {
  it('a log-append magic 1 set with one time becomes a log-append batch; anything else create time', () => {
    const la = buildMessageSet(PY_INPUTS, { magic: 1, compression: 2, timestampType: 'log-append', logAppendTime: 1234 });
    const up = upConvertMessageSet(la);
    if (up.invalid !== null) throw new Error(up.invalid.detail);
    expect(batchTimestampType(up.batch, 0)).toBe('log-append');
    expect([...iterateRecords(up.batch)].map((r) => r.timestampMs)).toEqual([1234, 1234, 1234]);
    const mixed = upConvertMessageSet(buildMessageSet(PY_INPUTS, { magic: 1 }));
    if (mixed.invalid !== null) throw new Error(mixed.invalid.detail);
    expect(batchTimestampType(mixed.batch, 0)).toBe('create');
  });
});

describe('down-conversion', () => {
  beforeAll(async () => {
    await initCompression(); // zstd batches (inside the describe: the Deno shim runs hooks per describe)
  });

  const records = (n: number, size = 10): RecordInput[] =>
    Array.from({ length: n }, (_, i) => ({ key: i % 2 === 0 ? null : enc.encode(`k${i}`), value: new Uint8Array(size).fill(i), timestampMs: 5000 + i, headers: [{ key: 'h', value: enc.encode('x') }] }));

  it('plain v2 → magic 1 and magic 0: absolute offsets, keys, values; magic 0 drops timestamps', () => {
    const b = buildRecordBatch(records(3), { baseOffset: 100 });
    for (const magic of [0, 1] as const) {
      const out = downConvertRecordBatches(b, { magic, budgetBytes: 1 << 20 });
      expect(out.stoppedBy).toBe('end');
      expect(out.recordCount).toBe(3);
      const got = readOk(out.records);
      expect(got.map((r) => [r.offset, r.timestampMs, r.magic, r.compression])).toEqual([100, 101, 102].map((o, i) => [o, magic === 0 ? -1 : 5000 + i, magic, 0]));
      expect(got.map((r) => r.key && text(r.key))).toEqual([null, 'k1', null]);
    }
  });

  for (const codec of [1, 2, 3] as const) {
    for (const magic of [0, 1] as const) {
      it(`a codec ${codec} batch → one magic ${magic} wrapper with Kafka's inner offsets`, () => {
        const b = buildRecordBatch(records(4), { baseOffset: 50, compression: codec });
        const out = downConvertRecordBatches(b, { magic, budgetBytes: 1 << 20, fetchOffset: 52 });
        const w = out.records;
        expect(w[16]).toBe(magic);
        expect(w[17]! & 7).toBe(codec);
        expect(view(w).getBigInt64(0)).toBe(53n);
        // compressed batches are kept whole: the consumer skips what is below its offset
        expect(readOk(w).map((r) => r.offset)).toEqual([50, 51, 52, 53]);
        const valueAt = magic === 0 ? 22 : 30;
        const value = w.subarray(valueAt + 4);
        if (codec === 3) {
          // magic 0: the pre-KIP-57 header checksum (over the frame magic too); magic 1: the correct one
          const hc = (xxh32(value, magic === 0 ? 0 : 4, 6) >>> 8) & 0xff;
          expect(value[6]).toBe(hc);
          expect(lz4Decompress(value, 1 << 20).length).toBeGreaterThan(0);
        }
        if (codec === 1) {
          const innerOffsets = readOk(gzipDecompress(value, 1 << 20)).map((r) => r.offset);
          expect(innerOffsets).toEqual(magic === 1 ? [0, 1, 2, 3] : [50, 51, 52, 53]);
        }
      });
    }
  }

  it('drops records below the fetch offset in plain batches, skips control batches, stops at zstd', () => {
    const plain = buildRecordBatch(records(4), { baseOffset: 10 });
    const control = buildRecordBatch([{ key: new Uint8Array(4), value: new Uint8Array(6) }], { baseOffset: 14, isControl: true });
    const zstd = buildRecordBatch(records(1), { baseOffset: 15, compression: 4 });
    const out = downConvertRecordBatches(concat(plain, control, zstd), { magic: 1, budgetBytes: 1 << 20, fetchOffset: 12 });
    expect(readOk(out.records).map((r) => r.offset)).toEqual([12, 13]);
    expect(out.stoppedBy).toBe('unsupported-compression');
    const first = downConvertRecordBatches(zstd, { magic: 1, budgetBytes: 1 << 20 });
    expect(first.records.length).toBe(0);
    expect(first.stoppedBy).toBe('unsupported-compression');
  });

  it('stops at the budget but always returns the first whole message; a cut batch ends it', () => {
    const b = buildRecordBatch(records(5, 100), { baseOffset: 0 });
    const one = downConvertRecordBatches(b, { magic: 1, budgetBytes: 10 });
    expect(one.recordCount).toBe(1);
    expect(one.stoppedBy).toBe('budget');
    const each = one.records.length;
    const three = downConvertRecordBatches(b, { magic: 1, budgetBytes: each * 3 + each - 1 });
    expect(three.recordCount).toBe(3);
    expect(three.records.length).toBeLessThanOrEqual(each * 4 - 1);
    const second = buildRecordBatch(records(2), { baseOffset: 5 });
    const cut = downConvertRecordBatches(concat(b, second.subarray(0, 30)), { magic: 0, budgetBytes: 1 << 20 });
    expect(cut.recordCount).toBe(5);
    expect(cut.stoppedBy).toBe('truncated');
  });

  it('a log-append batch gives magic 1 messages with the bit and the batch time', () => {
    const b = buildRecordBatch(records(2), { timestampType: 'log-append', logAppendTime: 4242 });
    const got = readOk(downConvertRecordBatches(b, { magic: 1, budgetBytes: 1 << 20 }).records);
    expect(got.map((r) => [r.timestampMs, r.logAppendTime])).toEqual([
      [4242, true],
      [4242, true],
    ]);
  });

  it('a corrupt batch ends the conversion, keeping what came before', () => {
    const good = buildRecordBatch(records(1), { baseOffset: 0 });
    const bad = buildRecordBatch(records(1), { baseOffset: 1 });
    bad[bad.length - 1]! ^= 1;
    const out = downConvertRecordBatches(concat(good, bad), { magic: 1, budgetBytes: 1 << 20 });
    expect(out.recordCount).toBe(1);
    expect(out.stoppedBy).toBe('corrupt');
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
