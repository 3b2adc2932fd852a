// Clients cannot change the internal `__consumer_offsets` topic: Produce, DeleteTopics
// (by name and by id) and CreatePartitions on it are refused with
// INVALID_TOPIC_EXCEPTION, and the topic (records, partition count) stays as it was.
import {
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  ErrorCode,
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from './groups/consumer-offsets-log.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

/** A broker whose `__consumer_offsets` (3 partitions) exists: a FindCoordinator creates it. */
async function setup(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0'] });
  const client = await tb.connect('internal-topic-test');
  const found = await client.request(10, 3, FindCoordinatorRequestCodec, { key: 'g', keyType: 0, coordinatorKeys: [] }, FindCoordinatorResponseCodec);
  expect(found.errorCode).toBe(ErrorCode.NONE);
  expect(tb.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)?.partitions.length).toBe(3);
  return { tb, client };
}

describe('the internal __consumer_offsets topic refuses client changes', () => {
  it('Produce (acks 1 and -1, every partition) → INVALID_TOPIC_EXCEPTION, nothing appended', async () => {
    const { tb: t, client } = await setup();
    const ends = () => [0, 1, 2].map((p) => t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, p)!.highWatermark);
    const before = ends();
    for (const acks of [1, -1]) {
      for (const p of [0, 1, 2]) {
        const res = await client.request(0, 9, ProduceRequestCodec, produceBody(CONSUMER_OFFSETS_TOPIC, p, batchOf(['forged']), acks), ProduceResponseCodec);
        const pr = res.responses[0]!.partitionResponses[0]!;
        expect(pr.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
        expect(pr.baseOffset).toBe(-1);
      }
    }
    // The refusal is by name, before the partition lookup: a partition it lacks gets it too.
    const beyond = await client.request(0, 9, ProduceRequestCodec, produceBody(CONSUMER_OFFSETS_TOPIC, 7, batchOf(['x'])), ProduceResponseCodec);
    expect(beyond.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(ends()).toEqual(before);
  });

  it('DeleteTopics by name (v0-v6) and by id (v6) → INVALID_TOPIC_EXCEPTION; the topic stays', async () => {
    const { tb: t, client } = await setup();
    const id = t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)!.record.topicId;
    for (let v = 0; v <= 6; v++) {
      const body = v >= 6 ? { topics: [{ name: null, topicId: id }, { name: CONSUMER_OFFSETS_TOPIC, topicId: id }], topicNames: [], timeoutMs: 1000 } : { topics: [], topicNames: [CONSUMER_OFFSETS_TOPIC], timeoutMs: 1000 };
      const res = await client.request(20, v, DeleteTopicsRequestCodec, body, DeleteTopicsResponseCodec);
      expect(res.responses.length).toBe(v >= 6 ? 2 : 1);
      for (const r of res.responses) {
        expect(r.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
        expect(r.name).toBe(CONSUMER_OFFSETS_TOPIC);
        if (v >= 5) expect(r.errorMessage).toContain('Internal topic');
      }
    }
    expect(t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)?.partitions.length).toBe(3);
  });

  it('CreatePartitions v0-v3 (also validate-only) → INVALID_TOPIC_EXCEPTION; the count stays 3', async () => {
    const { tb: t, client } = await setup();
    for (let v = 0; v <= 3; v++) {
      for (const validateOnly of [false, true]) {
        const res = await client.request(37, v, CreatePartitionsRequestCodec, { topics: [{ name: CONSUMER_OFFSETS_TOPIC, count: 10, assignments: null }], timeoutMs: 1000, validateOnly }, CreatePartitionsResponseCodec);
        expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([[CONSUMER_OFFSETS_TOPIC, ErrorCode.INVALID_TOPIC_EXCEPTION]]);
      }
    }
    expect(t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)?.partitions.length).toBe(3);
  });
});
