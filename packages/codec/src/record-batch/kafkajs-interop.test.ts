/**
 * Interop with a real client: batches encoded by KafkaJS 2.2.4 (fixtures/kafkajs-batches.ts)
 * validate (shallow and deep), iterate to the records KafkaJS was given, and our builder
 * reproduces KafkaJS's uncompressed batch byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { KAFKAJS_BATCH_GZIP_HEX, KAFKAJS_BATCH_OPTIONS, KAFKAJS_BATCH_PLAIN_HEX, KAFKAJS_RECORDS } from './fixtures/kafkajs-batches.ts';
import { RecordBatchView, buildRecordBatch, iterateRecords, validateRecordBatch } from './index.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
const text = (b: Uint8Array | null): string | null => (b === null ? null : dec.decode(b));

const expected = KAFKAJS_RECORDS.map((r, i) => ({
  offset: i,
  timestampMs: r.timestampMs,
  key: r.key,
  value: r.value,
  headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
}));

describe('KafkaJS-encoded batches', () => {
  for (const [name, hex, compression] of [
    ['uncompressed', KAFKAJS_BATCH_PLAIN_HEX, 0],
    ['gzip', KAFKAJS_BATCH_GZIP_HEX, 1],
  ] as const) {
    it(`validates and iterates the ${name} batch`, () => {
      const b = fromHex(hex);
      expect(validateRecordBatch(b)).toBeNull();
      expect(validateRecordBatch(b, 0, b.length, { deep: true })).toBeNull();
      const v = new RecordBatchView(b);
      expect([v.compression, v.recordCount, v.lastOffsetDelta, v.maxTimestamp]).toEqual([compression, 3, 2, KAFKAJS_RECORDS[1].timestampMs]);
      const got = [...iterateRecords(b, 0, { verifyCrc: true })].map((r) => ({
        offset: r.offset,
        timestampMs: r.timestampMs,
        key: text(r.key),
        value: text(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
      }));
      expect(got).toEqual(expected);
    });
  }

  it('builds the same bytes as KafkaJS for the uncompressed batch', () => {
    const built = buildRecordBatch(
      KAFKAJS_RECORDS.map((r) => ({
        key: r.key === null ? null : enc.encode(r.key),
        value: r.value === null ? null : enc.encode(r.value),
        timestampMs: r.timestampMs,
        headers: Object.entries(r.headers).map(([key, value]) => ({ key, value: enc.encode(value) })),
      })),
      KAFKAJS_BATCH_OPTIONS,
    );
    expect(Array.from(built)).toEqual(Array.from(fromHex(KAFKAJS_BATCH_PLAIN_HEX)));
  });
});
