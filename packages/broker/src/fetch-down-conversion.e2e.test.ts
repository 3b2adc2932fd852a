// Fetch v0–v3 against record batches v2 in the log, end to end on the memory runtime: the
// answer is a message set of magic 0 (v0–v1) or magic 1 (v2–v3), read back with the codec's
// legacy reader — every record at its offset with its key and value, magic 1 with its
// timestamp, magic 0 with none; a fetch from the middle starts at its offset; a small
// partition budget still returns the first message; the conversions are counted; and a
// v4 fetch of the same log still returns record batches v2.
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, FetchRequestCodec, FetchResponseCodec, ProduceRequestCodec, ProduceResponseCodec, readMessageSet } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { Metrics } from './observability/metrics.ts';
import { noopMetrics } from './observability/metrics.ts';
import { BASE_TS, batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

const dec = new TextDecoder();

describe('Fetch v0–v3: down-conversion to message format v0/v1', () => {
  it('answers magic 0 (v0–v1) and magic 1 (v2–v3) sets with every record, key, value and (v1) timestamp', async () => {
    const converted: Array<[string, number]> = [];
    const metrics: Metrics = { ...noopMetrics, messageFormatConversions: (api, records) => void converted.push([api, records]) };
    tb = await startTestBroker({ metrics });
    const client = await tb.connect();
    expect((await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('old', 1), CreateTopicsResponseCodec)).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    for (const values of [['a', 'b', 'c'], ['d', 'e']]) {
      const res = await client.request(0, 9, ProduceRequestCodec, produceBody('old', 0, batchOf(values)), ProduceResponseCodec);
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    for (let v = 0; v <= 3; v++) {
      const res = await client.request(1, v, FetchRequestCodec, fetchBody('old', 0, 0), FetchResponseCodec);
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(ErrorCode.NONE);
      expect(p.highWatermark).toBe(5);
      const read = readMessageSet(p.records!);
      if (read.invalid !== null) throw new Error(`v${v}: ${JSON.stringify(read.invalid)}`);
      const magic = v <= 1 ? 0 : 1;
      expect(read.records.map((r) => [r.offset, r.magic, dec.decode(r.key!), dec.decode(r.value!)])).toEqual([
        [0, magic, 'k0', 'a'],
        [1, magic, 'k1', 'b'],
        [2, magic, 'k2', 'c'],
        [3, magic, 'k0', 'd'],
        [4, magic, 'k1', 'e'],
      ]);
      // batchOf stamps BASE_TS + the record's index in its batch.
      expect(read.records.map((r) => r.timestampMs)).toEqual(magic === 0 ? [-1, -1, -1, -1, -1] : [BASE_TS, BASE_TS + 1, BASE_TS + 2, BASE_TS, BASE_TS + 1]);
    }
    expect(converted).toEqual([0, 1, 2, 3].map(() => ['Fetch', 5]));

    // From the middle of a batch: the old consumer's first message is the one it asked for.
    const mid = await client.request(1, 2, FetchRequestCodec, fetchBody('old', 0, 1), FetchResponseCodec);
    const midRead = readMessageSet(mid.responses[0]!.partitions[0]!.records!);
    expect(midRead.invalid === null ? midRead.records.map((r) => r.offset) : midRead.invalid).toEqual([1, 2, 3, 4]);

    // A one-byte partition budget still returns the first message (and only what fits after it).
    const tiny = await client.request(1, 3, FetchRequestCodec, { ...fetchBody('old', 0, 0), topics: [{ topic: 'old', topicId: fetchBody('old', 0, 0).topics[0]!.topicId, partitions: [{ ...fetchBody('old', 0, 0).topics[0]!.partitions[0]!, partitionMaxBytes: 1 }] }] }, FetchResponseCodec);
    const tinyRead = readMessageSet(tiny.responses[0]!.partitions[0]!.records!);
    expect(tinyRead.invalid === null ? tinyRead.records.map((r) => r.offset) : tinyRead.invalid).toEqual([0]);

    // v4 reads the same log as record batches v2.
    const v4 = await client.request(1, 4, FetchRequestCodec, fetchBody('old', 0, 0), FetchResponseCodec);
    expect(valuesOf(v4.responses[0]!.partitions[0]!.records).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
