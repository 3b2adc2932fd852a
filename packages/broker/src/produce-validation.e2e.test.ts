// Produce-path validation of records that are well framed but that the leader must refuse
// or correct (issue 11, defects A and C), end to end on the memory runtime, on both log
// stores:
//   A. a record without a key on a compacted topic → INVALID_RECORD (87), Produce v8+
//      record errors naming every keyless record, nothing appended; the topic's current
//      config decides (AlterConfigs can switch a topic to compact); keyed records and the
//      broker's own `__consumer_offsets` writes still go in.
//   C. a batch whose header maxTimestamp is wrong (-1 or too small) is stored with the
//      real max over its records, so ListOffsets by timestamp finds it.
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  batchMaxTimestamp,
  buildRecordBatch,
  computeBatchCrc,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  initCompression,
  iterateRecords,
  ListOffsetsRequestCodec,
  ListOffsetsResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
  validateRecordBatch,
} from '@samsa/codec';
import type { CompressionType, ProduceResponse, RecordInput } from '@samsa/codec';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { BASE_TS, createTopicsBody, fetchBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_TIMESTAMP_AT = 35;
const CODECS: readonly CompressionType[] = [0, 1, 2, 3, 4];

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function setup(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker();
  return { tb, client: await tb.connect() };
}

async function createTopic(client: KafkaTestClient, name: string, configs: Record<string, string> = {}): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, 1, {}, configs), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

function produce(client: KafkaTestClient, topic: string, records: Uint8Array, version: number): Promise<ProduceResponse> {
  return client.request(0, version, ProduceRequestCodec, produceBody(topic, 0, records), ProduceResponseCodec);
}

/** Records `values[i]` with key `keys[i]` (null: no key), timestamps BASE_TS + i. */
function batch(values: readonly string[], keys: ReadonlyArray<string | null>, compression: CompressionType = 0): Uint8Array {
  const records: RecordInput[] = values.map((v, i) => ({ key: keys[i] === null ? null : enc.encode(keys[i]), value: enc.encode(v), timestampMs: BASE_TS + i }));
  return buildRecordBatch(records, { compression });
}

/** A batch whose header says maxTimestamp = `headerMaxTimestamp` (CRC made valid again), as some clients send. */
function withHeaderMaxTimestamp(b: Uint8Array, headerMaxTimestamp: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigInt64(MAX_TIMESTAMP_AT, BigInt(headerMaxTimestamp));
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(17, computeBatchCrc(b, 0));
  return b;
}

async function listOffset(client: KafkaTestClient, topic: string, timestamp: number): Promise<{ offset: number; timestamp: number }> {
  const res = await client.request(
    2,
    7,
    ListOffsetsRequestCodec,
    { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 0 },
    ListOffsetsResponseCodec,
  );
  const p = res.topics[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  return { offset: p.offset, timestamp: p.timestamp };
}

async function fetchedBatches(client: KafkaTestClient, topic: string): Promise<Uint8Array[]> {
  const res = await client.request(1, 11, FetchRequestCodec, fetchBody(topic, 0, 0), FetchResponseCodec);
  const records = res.responses[0]!.partitions[0]!.records;
  return records === null ? [] : splitRecordBatches(records).batches;
}

describe('produce validation on @samsa/log over the memory file system', () => {
  beforeAll(async () => {
    await initCompression(); // zstd compression of the test batches (inside a describe: the Deno shim runs hooks per describe)
  });

  describe('A: keyless records on compacted topics', () => {
    it('refuses a batch with keyless records: INVALID_RECORD, v8+ record errors for each keyless record, nothing appended', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'compacted', { 'cleanup.policy': 'compact' });
      for (const v of [8, 9]) {
        const res = await produce(client, 'compacted', batch(['a', 'b', 'c', 'd'], [null, 'k1', null, 'k3']), v);
        const pr = res.responses[0]!.partitionResponses[0]!;
        expect(pr.errorCode).toBe(87); // INVALID_RECORD
        expect(pr.errorCode).toBe(ErrorCode.INVALID_RECORD);
        expect(pr.baseOffset).toBe(-1);
        expect(pr.recordErrors.map((e) => e.batchIndex)).toEqual([0, 2]);
        for (const e of pr.recordErrors) expect(e.batchIndexErrorMessage).toContain('without a key');
        expect(pr.errorMessage).toContain('without a key');
      }
      // Before v8 the response has no record errors, but the code is the same.
      const v7 = (await produce(client, 'compacted', batch(['x'], [null]), 7)).responses[0]!.partitionResponses[0]!;
      expect(v7).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, recordErrors: [] });
      expect(tb.broker.registry.partition('compacted', 0)!.log.logEndOffset).toBe(0);
      expect(await fetchedBatches(client, 'compacted')).toEqual([]);
    });

    it('refuses keyless records in compressed batches with every codec; keyed batches go in', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'cz', { 'cleanup.policy': 'compact,delete' });
      let expectedEnd = 0;
      for (const codec of CODECS) {
        const refused = (await produce(client, 'cz', batch(['a', 'b', 'c'], ['k0', 'k1', null], codec), 9)).responses[0]!.partitionResponses[0]!;
        expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD);
        expect(refused.recordErrors.map((e) => e.batchIndex)).toEqual([2]);
        expect(tb.broker.registry.partition('cz', 0)!.log.logEndOffset).toBe(expectedEnd);
        const keyed = (await produce(client, 'cz', batch(['a', 'b'], ['k0', 'k1'], codec), 9)).responses[0]!.partitionResponses[0]!;
        expect(keyed).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: expectedEnd });
        expectedEnd += 2;
        // A tombstone has a key and a null value: accepted.
        const tombstone = buildRecordBatch([{ key: enc.encode('k0'), value: null, timestampMs: BASE_TS }], { compression: codec });
        expect((await produce(client, 'cz', tombstone, 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
        expectedEnd += 1;
      }
      expect(tb.broker.registry.partition('cz', 0)!.log.logEndOffset).toBe(expectedEnd);
    });

    it('follows the current config: keyless records go in under delete, are refused once AlterConfigs switches to compact', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'switch');
      expect((await produce(client, 'switch', batch(['before'], [null]), 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      const altered = await client.request(
        33,
        2,
        AlterConfigsRequestCodec,
        { resources: [{ resourceType: 2, resourceName: 'switch', configs: [{ name: 'cleanup.policy', value: 'compact' }] }], validateOnly: false },
        AlterConfigsResponseCodec,
      );
      expect(altered.responses[0]!.errorCode).toBe(ErrorCode.NONE);
      const refused = (await produce(client, 'switch', batch(['after'], [null]), 9)).responses[0]!.partitionResponses[0]!;
      expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(refused.recordErrors.map((e) => e.batchIndex)).toEqual([0]);
      expect(tb.broker.registry.partition('switch', 0)!.log.logEndOffset).toBe(1);
      expect((await produce(client, 'switch', batch(['keyed'], ['k']), 9)).responses[0]!.partitionResponses[0]!).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    });

    it('keeps the broker\'s own __consumer_offsets writes working (compacted, always keyed)', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'events');
      const res = await client.request(
        8,
        8,
        OffsetCommitRequestCodec,
        {
          groupId: 'g',
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
        },
        OffsetCommitResponseCodec,
      );
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      const offsets = tb.broker.registry.topic('__consumer_offsets');
      expect(offsets).toBeDefined();
      expect(offsets!.partitions.reduce((n, p) => n + p.log.logEndOffset, 0)).toBeGreaterThan(0);
    });
  });

  describe('C: the batch maxTimestamp is recomputed from the records', () => {
    for (const codec of CODECS) {
      it(`a batch whose header says maxTimestamp = -1 is found by ListOffsets (compression ${codec})`, async () => {
        const { client } = await setup();
        // The repro as filed: the only batch says maxTimestamp = -1; ListOffsets(1)
        // must answer its first offset (it answered -1).
        await createTopic(client, 'repro');
        const only = withHeaderMaxTimestamp(batch(['r0', 'r1'], [null, null], codec), -1);
        expect((await produce(client, 'repro', only, 9)).responses[0]!.partitionResponses[0]!).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
        expect(await listOffset(client, 'repro', 1)).toEqual({ offset: 0, timestamp: BASE_TS });

        await createTopic(client, 'ts');
        // An earlier batch with earlier timestamps, so the repro batch does not start at 0.
        const early = buildRecordBatch([{ key: null, value: enc.encode('early'), timestampMs: BASE_TS - 10_000 }], { compression: codec });
        expect((await produce(client, 'ts', early, 9)).responses[0]!.partitionResponses[0]!.baseOffset).toBe(0);
        const repro = withHeaderMaxTimestamp(batch(['a', 'b', 'c'], [null, null, null], codec), -1);
        expect((await produce(client, 'ts', repro, 9)).responses[0]!.partitionResponses[0]!).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
        expect(await listOffset(client, 'ts', 1)).toEqual({ offset: 0, timestamp: BASE_TS - 10_000 });
        // The lookup: the first record at or after BASE_TS is the repro batch's first (today -1).
        expect(await listOffset(client, 'ts', BASE_TS)).toEqual({ offset: 1, timestamp: BASE_TS });
        expect(await listOffset(client, 'ts', BASE_TS + 2)).toEqual({ offset: 3, timestamp: BASE_TS + 2 });
        expect((await listOffset(client, 'ts', -3)).timestamp).toBe(BASE_TS + 2);
        // The stored header carries the real max, with a valid CRC, and the records are unchanged.
        const stored = (await fetchedBatches(client, 'ts'))[1]!;
        expect(batchMaxTimestamp(stored, 0)).toBe(BASE_TS + 2);
        expect(validateRecordBatch(stored, 0, stored.length, { deep: true })).toBeNull();
        expect([...iterateRecords(stored, 0)].map((r) => [r.offset, r.timestampMs, dec.decode(r.value!)])).toEqual([
          [1, BASE_TS, 'a'],
          [2, BASE_TS + 1, 'b'],
          [3, BASE_TS + 2, 'c'],
        ]);
      });
    }

    it('a header maxTimestamp larger than the records\' is corrected down', async () => {
      const { client } = await setup();
      await createTopic(client, 'ts-high');
      const wrong = withHeaderMaxTimestamp(batch(['a', 'b'], [null, null]), BASE_TS + 1_000_000);
      expect((await produce(client, 'ts-high', wrong, 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(batchMaxTimestamp((await fetchedBatches(client, 'ts-high'))[0]!, 0)).toBe(BASE_TS + 1);
      expect(await listOffset(client, 'ts-high', BASE_TS + 2)).toEqual({ offset: -1, timestamp: -1 });
    });
  });
});
