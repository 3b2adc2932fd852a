// The leader's answer to follower fetches (leader-fetch-handler.ts), over real partitions
// of a test broker and a real LeaderReplica: reads to the log end (not the HW), the
// per-partition and per-response byte limits with one whole batch for the first partition,
// the long poll woken by an append and ended by the signal, and the answers without
// records (not led, another topic id, a diverging epoch).
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, splitRecordBatches } from '@samsa/codec';
import { LeaderReplica } from '@samsa/replication';
import { afterEach, describe, expect, it } from 'vitest';
import type { Partition } from '../partitions/partition.ts';
import { batchOf, createTopicsBody } from '../testing/requests.ts';
import { startTestBroker } from '../testing/test-broker.ts';
import type { TestBroker } from '../testing/test-broker.ts';
import { answerReplicaFetch, type LedPartition } from './leader-fetch-handler.ts';
import type { ReplicaFetchPartitionRequest, ReplicaFetchRequest } from './replica-fetch-messages.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function ledPartitions(count: number): Promise<LedPartition[]> {
  tb = await startTestBroker();
  const client = await tb.connect();
  await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody('t', count), CreateTopicsResponseCodec);
  const led: LedPartition[] = [];
  for (let i = 0; i < count; i++) {
    const partition = tb.broker.registry.partition('t', i)!;
    partition.leaderEpoch = 3;
    await partition.startLeaderEpoch(3);
    const replica = new LeaderReplica({
      localBrokerId: 1,
      state: { leader: 1, leaderEpoch: 3, partitionEpoch: 0, replicas: [1, 2], isr: [1, 2] },
      logEndOffset: partition.log.logEndOffset,
      logStartOffset: partition.log.logStartOffset,
      highWatermark: 0,
      epochHistory: {
        endOffsetFor: (e) => {
          const r = partition.log.endOffsetForEpoch(e);
          return r.endOffset < 0 ? null : { epoch: r.leaderEpoch, endOffset: r.endOffset };
        },
        latestEpoch: () => partition.log.latestEpoch(),
      },
      nowMs: 0,
    });
    partition.log.onAppend((e) => replica.localAppended(e.logEndOffset));
    led.push({ partition, topicId: TOPIC_ID, replica });
  }
  return led;
}

function deps(led: readonly LedPartition[]) {
  return {
    clock: tb!.clock,
    led: (topic: string, partition: number) => (topic === 't' ? (led[partition] ?? null) : null),
    decide: (l: LedPartition, fetch: Parameters<LeaderReplica['followerFetch']>[0]) => l.replica.followerFetch(fetch, 0).decision,
  };
}

function part(partition: number, fetchOffset: number, more: Partial<ReplicaFetchPartitionRequest> = {}): ReplicaFetchPartitionRequest {
  return { topicId: TOPIC_ID, topic: 't', partition, fetchOffset, lastFetchedEpoch: fetchOffset === 0 ? -1 : 3, currentLeaderEpoch: 3, logStartOffset: 0, partitionMaxBytes: 1 << 20, ...more };
}

function request(partitions: ReplicaFetchPartitionRequest[], more: Partial<ReplicaFetchRequest> = {}): ReplicaFetchRequest {
  return { replicaId: 2, brokerEpoch: 7, maxWaitMs: 0, minBytes: 1, maxBytes: 10 << 20, partitions, ...more };
}

async function append(p: Partition, values: string[]): Promise<void> {
  expect((await p.produce(batchOf(values))).errorCode).toBe(ErrorCode.NONE);
}

const batchesIn = (records: Uint8Array) => splitRecordBatches(records).batches.length;

describe('answerReplicaFetch', () => {
  it('reads from the fetch offset to the log end, not the high watermark, and answers the leader HW', async () => {
    const led = await ledPartitions(1);
    await append(led[0]!.partition, ['a', 'b']);
    await append(led[0]!.partition, ['c']);
    expect(led[0]!.replica.highWatermark).toBe(0); // follower 2 has fetched nothing yet
    const r = await answerReplicaFetch(deps(led), request([part(0, 0)]), new AbortController().signal);
    expect(r.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 0, logStartOffset: 0, divergingEpoch: null });
    expect(batchesIn(r.partitions[0]!.records)).toBe(2);
    // The follower's next fetch at 3 moves its position: the HW follows.
    const next = await answerReplicaFetch(deps(led), request([part(0, 3)]), new AbortController().signal);
    expect(next.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 3 });
    expect(next.partitions[0]!.records.byteLength).toBe(0);
  });

  it('bounds bytes per partition and per response, giving the first partition one whole batch', async () => {
    const led = await ledPartitions(2);
    for (const l of led) for (let i = 0; i < 3; i++) await append(l.partition, [`${i}-${'x'.repeat(200)}`]);
    const r = await answerReplicaFetch(deps(led), request([part(0, 0, { partitionMaxBytes: 10 }), part(1, 0)], { maxBytes: 10 }), new AbortController().signal);
    expect(batchesIn(r.partitions[0]!.records)).toBe(1); // above both limits, still one whole batch
    expect(r.partitions[1]!.records.byteLength).toBe(0); // the response budget is spent
    const wide = await answerReplicaFetch(deps(led), request([part(0, 0), part(1, 0)]), new AbortController().signal);
    expect(wide.partitions.map((p) => batchesIn(p.records))).toEqual([3, 3]);
  });

  it('long-polls until an append, and ends the poll when the signal aborts', async () => {
    const led = await ledPartitions(1);
    const waiting = answerReplicaFetch(deps(led), request([part(0, 0)], { maxWaitMs: 60_000 }), new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await append(led[0]!.partition, ['late']);
    const r = await waiting;
    expect(batchesIn(r.partitions[0]!.records)).toBe(1);

    const abort = new AbortController();
    const parked = answerReplicaFetch(deps(led), request([part(0, 1)], { maxWaitMs: 60_000 }), abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    const ended = await parked;
    expect(ended.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(ended.partitions[0]!.records.byteLength).toBe(0);
  });

  it('answers without records: a partition not led here, another topic id, a diverging epoch, an offset past the log end', async () => {
    const led = await ledPartitions(1);
    await append(led[0]!.partition, ['a']);
    const r = await answerReplicaFetch(
      deps(led),
      request([
        part(5, 0),
        part(0, 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }),
        part(0, 1, { lastFetchedEpoch: 2 }), // the follower's epoch 2 ended at 0 here
        part(0, 9, { lastFetchedEpoch: -1 }), // no epoch to check: past the log end
      ], { maxWaitMs: 60_000 }),
      new AbortController().signal,
    );
    expect(r.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.NONE, ErrorCode.OFFSET_OUT_OF_RANGE]);
    expect(r.partitions[2]!.divergingEpoch).toEqual({ epoch: 2, endOffset: 0 });
    for (const p of r.partitions) expect(p.records.byteLength).toBe(0);
  });

  it('reads into the lent scratch buffer back to back, the same bytes as fresh reads, and falls back to fresh buffers when it is too small', async () => {
    const led = await ledPartitions(3);
    for (const l of led) for (let i = 0; i < 4; i++) await append(l.partition, [`${l.partition.index}-${i}-${'y'.repeat(300)}`]);
    // Answered twice (fresh reads, then into scratch) before any follower position moves the HW.
    const fresh = await answerReplicaFetch(deps(led), request([part(0, 0), part(1, 0), part(2, 0)]), new AbortController().signal);
    const scratch = new Uint8Array(1 << 20).fill(0xee);
    const into = await answerReplicaFetch(deps(led), request([part(0, 0), part(1, 0), part(2, 0)]), new AbortController().signal, scratch);
    expect(into.partitions.map((p) => [...p.records])).toEqual(fresh.partitions.map((p) => [...p.records]));
    let end = scratch.byteOffset;
    for (const p of into.partitions) {
      expect(batchesIn(p.records)).toBe(4);
      expect(p.records.buffer).toBe(scratch.buffer); // a view of the scratch, not a copy
      expect(p.records.byteOffset).toBeGreaterThanOrEqual(end); // after the previous answer: none overlaps
      end = p.records.byteOffset + p.records.byteLength;
    }
    // A scratch too small for the read: the log reads into a fresh buffer; the answer is unchanged.
    const tiny = new Uint8Array(16);
    const fallback = await answerReplicaFetch(deps(led), request([part(0, 0), part(1, 0), part(2, 0)]), new AbortController().signal, tiny);
    expect(fallback.partitions.map((p) => [...p.records])).toEqual(fresh.partitions.map((p) => [...p.records]));
    for (const p of fallback.partitions) expect(p.records.buffer).not.toBe(tiny.buffer);
  });
});
