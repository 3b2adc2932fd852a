import { ApiKey, ErrorCode, ProduceRequestCodec, ProduceResponseCodec } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { BASE_TS, batchOf, produceBody } from '../../../broker/src/testing/requests.ts';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import type { AdminSetup } from '../../test/support/admin-fixture.ts';
import { KafkaAbortError, KafkaError } from '../errors.ts';

const fixture = useAdminFixture();

/** A broker with topic `r` (2 partitions): partition 0 holds five records stamped BASE_TS+0..4, partition 1 none. */
async function setup(): Promise<AdminSetup> {
  const { tb, admin } = await fixture.start();
  await drive(tb.clock, admin.createTopics([{ name: 'r', partitions: 2 }]));
  const raw = await tb.connect();
  const produced = await raw.request(ApiKey.Produce, 9, ProduceRequestCodec, produceBody('r', 0, batchOf(['a', 'b', 'c', 'd', 'e'])), ProduceResponseCodec);
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  await raw.close();
  return { tb, admin };
}

describe('Admin records and offsets', () => {
  it('lists earliest, latest, max-timestamp and by-timestamp offsets at the leaders', async () => {
    const { tb, admin } = await setup();
    const twice = await drive(tb.clock, admin.listOffsets([{ topic: 'r', partition: 0, spec: 'earliest' }, { topic: 'r', partition: 0, spec: 'latest' }]).catch((e: unknown) => e));
    expect(twice).toBeInstanceOf(RangeError); // one spec per partition and call, as on the wire
    const [earliest, latest, empty] = await drive(tb.clock, admin.listOffsets([
      { topic: 'r', partition: 0, spec: 'earliest' },
      { topic: 'r', partition: 1, spec: 'latest' },
    ]).then(async ([e, l]) => [e, (await admin.listOffsets([{ topic: 'r', partition: 0, spec: 'latest' }]))[0], l]));
    expect(earliest!.offset).toBe(0);
    expect(latest!.offset).toBe(5);
    expect(empty!.offset).toBe(0);
    const [maxTs] = await drive(tb.clock, admin.listOffsets([{ topic: 'r', partition: 0, spec: 'max-timestamp' }]));
    expect([maxTs!.offset, maxTs!.timestampMs]).toEqual([4, BASE_TS + 4]);
    const [atTs, afterAll] = await drive(tb.clock, admin.listOffsets([
      { topic: 'r', partition: 0, spec: { timestampMs: BASE_TS + 2 } },
      { topic: 'r', partition: 1, spec: { timestampMs: BASE_TS } },
    ]));
    expect([atTs!.offset, atTs!.timestampMs]).toEqual([2, BASE_TS + 2]);
    expect(afterAll!.offset).toBe(-1);
  });

  it('unknown topics and partitions fail at once with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { tb, admin } = await setup();
    for (const item of [{ topic: 'nope', partition: 0 }, { topic: 'r', partition: 7 }]) {
      const error = await drive(tb.clock, admin.listOffsets([{ ...item, spec: 'latest' }])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect((error as KafkaError).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  it('deleteRecords moves the log start offset (to the high watermark with -1); the broker agrees', async () => {
    const { tb, admin } = await setup();
    const [deleted] = await drive(tb.clock, admin.deleteRecords([{ topic: 'r', partition: 0, beforeOffset: 3 }]));
    expect(deleted).toEqual({ topic: 'r', partition: 0, lowWatermark: 3 });
    const [earliest] = await drive(tb.clock, admin.listOffsets([{ topic: 'r', partition: 0, spec: 'earliest' }]));
    expect(earliest!.offset).toBe(3);
    const [all] = await drive(tb.clock, admin.deleteRecords([{ topic: 'r', partition: 0, beforeOffset: -1 }]));
    expect(all!.lowWatermark).toBe(5);
    const beyond = await drive(tb.clock, admin.deleteRecords([{ topic: 'r', partition: 0, beforeOffset: 99 }])).catch((e: unknown) => e);
    expect((beyond as KafkaError).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('describeCluster names the broker, the controller and the cluster id', async () => {
    const { tb, admin } = await setup();
    const cluster = await drive(tb.clock, admin.describeCluster());
    const nodeId = tb.broker.config.nodeId;
    expect(cluster.controllerId).toBe(nodeId);
    expect(cluster.brokers).toEqual([{ nodeId, host: '127.0.0.1', port: tb.port, rack: null }]);
    expect(cluster.clusterId).toBe(admin.cluster.metadata.clusterId);
    expect(cluster.clusterId).not.toBeNull();
  });

  it('an aborted listOffsets rejects with KafkaAbortError', async () => {
    const { tb, admin } = await setup();
    const controller = new AbortController();
    const call = admin.listOffsets([{ topic: 'r', partition: 0, spec: 'latest' }], { signal: controller.signal });
    controller.abort();
    await expect(drive(tb.clock, call)).rejects.toBeInstanceOf(KafkaAbortError);
  });
});
