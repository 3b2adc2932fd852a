/**
 * Properties of legacy message sets (magic 0/1) against a model (a plain list of records):
 * - build → read round-trips offsets, keys, values and (magic 1) timestamps, every codec
 *   and both magics; magic 0 reads NO_TIMESTAMP; a wrapper's inner offsets are relative
 *   (0..n-1) for magic 1 and absolute for magic 0, its own offset the last one;
 * - v0/v1 → up-convert → v2 (deep-valid, one batch, the codec kept) → down-convert to the
 *   same magic → read gives the model back (offsets, keys, values, v1 timestamps);
 * - v2 batches (headers, any codec but zstd, create or log-append time) → down-convert to
 *   magic 1 → up-convert → v2 gives every record back but its headers (offsets,
 *   keys, values, timestamps);
 * - down-conversion output stays within the budget unless it holds a single message or
 *   wrapper, and holds a prefix of the records;
 * - hostile bytes (random, truncated, mutated, mutated with the CRC recomputed) never make
 *   read, validate, up- or down-conversion throw; any single-byte change in a message's
 *   CRC-covered bytes is refused.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompress, initCompression } from '../compression/index.ts';
import { buildRecordBatch, iterateRecords, splitRecordBatches, validateRecordBatch } from '../record-batch/index.ts';
import type { RecordInput } from '../record-batch/index.ts';
import { buildMessageSet, crc32, downConvertRecordBatches, readMessageSet, upConvertMessageSet, validateMessageSet } from './index.ts';
import type { LegacyRecordInput } from './index.ts';

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
const magicArb = fc.constantFrom(0 as const, 1 as const);
const codecArb = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);
const tsArb = fc.integer({ min: 0, max: 2 ** 45 });

interface Model {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

const legacySetArb = fc
  .record({
    magic: magicArb,
    codec: codecArb,
    baseOffset: fc.integer({ min: 0, max: 2 ** 48 }),
    records: fc.array(fc.record({ key: bytesOrNull, value: bytesOrNull, timestampMs: tsArb }), { minLength: 1, maxLength: 10 }),
  })
  .map(({ magic, codec, baseOffset, records }) => ({
    magic,
    codec,
    inputs: records.map((r, i): LegacyRecordInput => ({ ...r, offset: baseOffset + i })),
  }));

const plain = (rs: readonly { offset: number; timestampMs: number; key: Uint8Array | null; value: Uint8Array | null }[]): Model[] =>
  rs.map((r) => ({ offset: r.offset, timestampMs: r.timestampMs, key: r.key === null ? null : Uint8Array.from(r.key), value: r.value === null ? null : Uint8Array.from(r.value) }));
const model = (magic: 0 | 1, inputs: readonly LegacyRecordInput[]): Model[] =>
  plain(inputs.map((r) => ({ offset: r.offset, timestampMs: magic === 0 ? -1 : (r.timestampMs ?? -1), key: r.key ?? null, value: r.value })));

function readAll(bytes: Uint8Array): Model[] {
  const read = readMessageSet(bytes);
  if (read.invalid !== null) throw new Error(`${read.invalid.reason}: ${read.invalid.detail}`);
  return plain(read.records);
}

describe('legacy message sets: round trips', () => {
  beforeAll(async () => {
    await initCompression();
  });

  it('build → read gives the model back', () => {
    fc.assert(
      fc.property(legacySetArb, ({ magic, codec, inputs }) => {
        const set = buildMessageSet(inputs, { magic, compression: codec });
        expect(validateMessageSet(set)).toBeNull();
        expect(readAll(set)).toEqual(model(magic, inputs));
        if (codec !== 0) {
          const valueAt = magic === 0 ? 22 : 30;
          const inner = readAll(decompress(codec, set.subarray(valueAt + 4), 1 << 20));
          const first = inputs[0]!.offset;
          expect(inner.map((r) => r.offset)).toEqual(inputs.map((r) => (magic === 1 ? r.offset - first : r.offset)));
          expect(new DataView(set.buffer).getBigInt64(0)).toBe(BigInt(inputs[inputs.length - 1]!.offset));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('v0/v1 → v2 → same magic round-trips offsets, keys, values and v1 timestamps', () => {
    fc.assert(
      fc.property(legacySetArb, ({ magic, codec, inputs }) => {
        const up = upConvertMessageSet(buildMessageSet(inputs, { magic, compression: codec }), { baseOffset: inputs[0]!.offset });
        if (up.invalid !== null) throw new Error(up.invalid.detail);
        expect(splitRecordBatches(up.batch).batches.length).toBe(1);
        expect(validateRecordBatch(up.batch, 0, up.batch.length, { deep: true })).toBeNull();
        expect(up.compression).toBe(codec);
        const down = downConvertRecordBatches(up.batch, { magic, budgetBytes: 1 << 24 });
        expect(down.stoppedBy).toBe('end');
        expect(readAll(down.records)).toEqual(model(magic, inputs));
      }),
      { numRuns: 150 },
    );
  });

  it('v2 → v1 → v2 round-trips everything but headers', () => {
    const batchesArb = fc.array(
      fc.record({
        records: fc.array(
          fc.record({
            key: bytesOrNull,
            value: bytesOrNull,
            timestampMs: tsArb,
            headers: fc.array(fc.record({ key: fc.string({ maxLength: 6 }), value: bytesOrNull }), { maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        codec: codecArb,
        logAppend: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 }), batchesArb, (baseOffset, specs) => {
        let offset = baseOffset;
        const parts: Uint8Array[] = [];
        const expected: Model[] = [];
        for (const s of specs) {
          const b = buildRecordBatch(s.records as RecordInput[], { baseOffset: offset, compression: s.codec, ...(s.logAppend ? { timestampType: 'log-append' as const, logAppendTime: 777 } : {}) });
          for (const r of iterateRecords(b)) expected.push({ offset: r.offset, timestampMs: r.timestampMs, key: r.key, value: r.value });
          parts.push(b);
          offset += s.records.length;
        }
        const down = downConvertRecordBatches(concat(parts), { magic: 1, budgetBytes: 1 << 24 });
        expect(down.stoppedBy).toBe('end');
        const up = upConvertMessageSet(down.records, { baseOffset });
        if (up.invalid !== null) throw new Error(up.invalid.detail);
        const back = [...iterateRecords(up.batch)];
        expect(back.every((r) => r.headers.length === 0)).toBe(true);
        expect(plain(back.map((r) => ({ offset: r.offset, timestampMs: r.timestampMs, key: r.key, value: r.value })))).toEqual(plain(expected));
      }),
      { numRuns: 120 },
    );
  });

  it('down-conversion keeps within the budget (beyond it only a single first message) and returns a prefix', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: bytesOrNull, value: bytesOrNull, timestampMs: tsArb }), { minLength: 1, maxLength: 20 }),
        fc.array(codecArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2000 }),
        magicArb,
        (records, codecs, budget, magic) => {
          const parts: Uint8Array[] = [];
          const per = Math.ceil(records.length / codecs.length);
          for (let i = 0; i * per < records.length; i++) parts.push(buildRecordBatch(records.slice(i * per, (i + 1) * per), { baseOffset: i * per, compression: codecs[i % codecs.length]! }));
          const down = downConvertRecordBatches(concat(parts), { magic, budgetBytes: budget });
          const read = readMessageSet(down.records);
          if (read.invalid !== null) throw new Error(read.invalid.detail);
          expect(read.records.length).toBe(down.recordCount);
          expect(read.records.length).toBeGreaterThan(0);
          if (down.records.length > budget) expect(read.entries).toBe(1);
          expect(read.records.map((r) => r.offset)).toEqual(records.slice(0, read.records.length).map((_, i) => i));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('legacy message sets: hostile bytes', () => {
  const noThrow = (b: Uint8Array): void => {
    readMessageSet(b);
    readMessageSet(b, { allowTruncatedTail: true, maxDecompressedBytes: 4096 });
    upConvertMessageSet(b, { maxDecompressedBytes: 4096 });
    downConvertRecordBatches(b, { magic: 1, budgetBytes: 1000 });
  };

  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => noThrow(b)), { numRuns: 300 });
  });

  it('truncated and mutated sets (also with the CRC recomputed) never throw', () => {
    fc.assert(
      fc.property(legacySetArb, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean(), ({ magic, codec, inputs }, cut, flips, fixCrc) => {
        const set = buildMessageSet(inputs, { magic, compression: codec });
        noThrow(set.subarray(0, cut % (set.length + 1)));
        const m = Uint8Array.from(set);
        for (const [at, x] of flips) m[at % m.length]! ^= x;
        if (fixCrc && m.length >= 16) {
          const size = new DataView(m.buffer).getInt32(8);
          if (size >= 4 && 12 + size <= m.length) new DataView(m.buffer).setUint32(12, crc32(m, 16, 12 + size));
        }
        noThrow(m);
      }),
      { numRuns: 300 },
    );
  });

  it('any single-byte change in the CRC-covered bytes of a plain set is refused', () => {
    fc.assert(
      fc.property(legacySetArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ magic, inputs }, at, x) => {
        const set = buildMessageSet(inputs.slice(0, 1), { magic });
        const m = Uint8Array.from(set);
        m[16 + (at % (m.length - 16))]! ^= x;
        expect(validateMessageSet(m)).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
