// Pipelined OffsetCommits on one connection, end to end on the memory runtime: OffsetCommit
// overlaps on a connection (like Produce) and the group service coalesces the
// `__consumer_offsets` appends queued behind the one in flight into one batch.
//   - 500 commits sent without awaiting (with Produce requests interleaved) all succeed,
//     their responses come back in request order, OffsetFetch returns the last commit per
//     partition, the log holds every commit in order in far fewer batches than commits,
//     and a restart's replay gives the same offsets;
//   - a failed append fails exactly the commits it carried (a contiguous run, NOT_COORDINATOR
//     on each), none of them becomes visible to OffsetFetch, and later appends succeed;
//   - an injected file write failure (MemoryFileSystem.failOn) on the real log: acknowledged
//     commits are a prefix, the log (offline after the error, by @samsa/log's design) fails
//     the rest, and a restart replays exactly the acknowledged ones;
//   - the per-partition queue bound refuses commits with COORDINATOR_NOT_AVAILABLE while
//     the in-flight append is held, and the coordinator stays consistent.
import {
  batchRecordCount,
  ErrorCode,
  iterateRecords,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
} from '@samsa/codec';
import type { OffsetCommitRequest, OffsetCommitResponse } from '@samsa/codec';
import { consumerOffsetsPartitionFor, decodeConsumerOffsetsRecord } from '@samsa/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUED_RECORDS_MAX } from './groups/consumer-offsets-appender.ts';
import { CONSUMER_OFFSETS_TOPIC } from './groups/consumer-offsets-log.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import type { KafkaTestClient, SentRequest } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const NUM_OFFSETS_PARTITIONS = 3;
const OVERRIDES = [`offsets.topic.num.partitions=${NUM_OFFSETS_PARTITIONS}`, 'group.initial.rebalance.delay.ms=0'];
const NEWEST = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function createTopic(client: KafkaTestClient, name: string, partitions: number): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

/** A simple-group (generation -1) OffsetCommit v8 of `offset` on each of `partitions`. */
function commitBody(groupId: string, topic: string, partitions: readonly number[], offset: number): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' })) }],
  };
}

function sendCommit(client: KafkaTestClient, groupId: string, topic: string, partitions: readonly number[], offset: number): SentRequest {
  return client.send(8, 8, OffsetCommitRequestCodec, commitBody(groupId, topic, partitions, offset));
}

/** Every partition's error code of one OffsetCommit response. */
function codesOf(r: OffsetCommitResponse): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

/** The committed offsets recorded in the group's `__consumer_offsets` partition, in log order, and its batch count. */
/**
 * Sends `commits` OffsetCommits on one connection without waiting (commit i: offset i + 1
 * on partition i % 2), then reads every response; one error code per commit, in order.
 */
async function pipelineCommits(client: KafkaTestClient, groupId: string, topic: string, commits: number): Promise<number[]> {
  const sent = Array.from({ length: commits }, (_, i) => sendCommit(client, groupId, topic, [i % 2], i + 1));
  const codes: number[] = [];
  for (const s of sent) {
    const c = codesOf(await client.receive(s, OffsetCommitResponseCodec));
    expect(c).toHaveLength(1);
    codes.push(c[0]!);
  }
  return codes;
}

async function loggedCommits(t: TestBroker, groupId: string): Promise<{ batches: number; commits: string[] }> {
  const part = t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, consumerOffsetsPartitionFor(groupId, NUM_OFFSETS_PARTITIONS))!;
  const bytes = (await part.log.read(part.log.logStartOffset, 16 << 20)).records;
  const { batches } = splitRecordBatches(bytes);
  const commits: string[] = [];
  for (const b of batches) {
    for (const r of iterateRecords(b, 0)) {
      const d = decodeConsumerOffsetsRecord(r.key!, r.value);
      if (d.kind === 'offset' && d.value && d.key.group === groupId) commits.push(`${d.key.partition}@${d.value.offset}`);
    }
  }
  return { batches: batches.length, commits };
}

describe('pipelined OffsetCommits on one connection', () => {
  it('500 commits without awaiting: all succeed in request order, few appends, last offsets fetched and replayed', async () => {
    tb = await startTestBroker({ overrides: OVERRIDES });
    const client = await tb.connect('pipeliner');
    await createTopic(client, 'events', 4);
    await createTopic(client, 'traffic', 1);
    const commits = 500;
    const sent: Array<{ kind: 'commit' | 'produce'; req: SentRequest }> = [];
    for (let i = 0; i < commits; i++) {
      sent.push({ kind: 'commit', req: sendCommit(client, 'pipe', 'events', [i % 4], i) });
      // A Produce every 50 commits on the same connection: it overlaps too, and its
      // response must still come back between the commits around it.
      if (i % 50 === 25) sent.push({ kind: 'produce', req: client.send(0, 7, ProduceRequestCodec, produceBody('traffic', 0, batchOf([`p${i}`]))) });
    }
    // receive() checks each response's correlation id against the request sent at that place.
    for (const s of sent) {
      if (s.kind === 'commit') expect(codesOf(await client.receive(s.req, OffsetCommitResponseCodec))).toEqual([0]);
      else expect((await client.receive(s.req, ProduceResponseCodec)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    const g = new GroupTestClient(client, tb.clock, 'pipe', NEWEST);
    const last = { 0: commits - 4, 1: commits - 3, 2: commits - 2, 3: commits - 1 };
    expect(await g.fetch('events', [0, 1, 2, 3])).toEqual({ errorCode: 0, offsets: last });

    const logged = await loggedCommits(tb, 'pipe');
    expect(logged.commits).toEqual(Array.from({ length: commits }, (_, i) => `${i % 4}@${i}`));
    const stats = tb.broker.groups.appendStats;
    expect(stats.appendsReceived).toBe(commits);
    expect(stats.refused).toBe(0);
    expect(stats.writes).toBe(logged.batches);
    expect(logged.batches).toBeLessThan(commits / 4);

    await tb.restart();
    await tb.broker.groups.loaded;
    const again = new GroupTestClient(await tb.connect('after-restart'), tb.clock, 'pipe', NEWEST);
    expect(await again.fetch('events', [0, 1, 2, 3])).toEqual({ errorCode: 0, offsets: last });
  });

  it('a failed __consumer_offsets append fails exactly the commits it carried; later appends still succeed', async () => {
    // The first __consumer_offsets append of more than 2 records (coalesced commits) throws
    // a storage error; its record count is kept.
    const faults = { failedRecords: -1 };
    tb = await startTestBroker({
      overrides: OVERRIDES,
      offsetsAppendHook: async (log, batches) => {
        await new Promise((r) => setTimeout(r, 0)); // a write that takes a while
        if (faults.failedRecords < 0 && batchRecordCount(batches, 0) > 2) {
          faults.failedRecords = batchRecordCount(batches, 0);
          throw new Error('injected storage failure');
        }
        return log.append(batches);
      },
    });
    const { broker, clock } = tb;
    const client = await tb.connect();
    await createTopic(client, 'events', 2);
    const commits = 200;
    const codes = await pipelineCommits(client, 'faulty', 'events', commits);
    const failed = codes.flatMap((c, i) => (c === 0 ? [] : [i]));
    // The failed append carried several commits (coalesced), and exactly those failed: one contiguous run.
    expect(faults.failedRecords).toBeGreaterThan(2);
    expect(failed).toHaveLength(faults.failedRecords);
    expect(failed[failed.length - 1]! - failed[0]! + 1).toBe(failed.length);
    expect(failed[failed.length - 1]).toBeLessThan(commits - 1); // later appends succeeded
    // KAFKA_STORAGE_ERROR from the log, as the coordinator maps it for a committer (retriable).
    expect(new Set(failed.map((i) => codes[i]))).toEqual(new Set([ErrorCode.NOT_COORDINATOR]));
    expect(broker.groups.coordinator.pendingAppends).toBe(0);
    // OffsetFetch: the last successful commit per partition (the failed ones never became visible).
    const ok = codes.flatMap((c, i) => (c === 0 ? [i] : []));
    const lastOk = (p: number): number => Math.max(-1, ...ok.filter((i) => i % 2 === p).map((i) => i + 1));
    const g = new GroupTestClient(client, clock, 'faulty', NEWEST);
    expect(await g.fetch('events', [0, 1])).toEqual({ errorCode: 0, offsets: { 0: lastOk(0), 1: lastOk(1) } });
  });

  it('an injected file write failure (MemoryFileSystem.failOn) fails the commits from that append on; a restart reopens the log and replays what was acknowledged', async () => {
    tb = await startTestBroker({ overrides: OVERRIDES });
    const client = await tb.connect('pipeliner');
    await createTopic(client, 'events', 2);
    // Warm-up: the group's __consumer_offsets partition exists and has been written once.
    expect(codesOf(await client.request(8, 8, OffsetCommitRequestCodec, commitBody('faulty', 'events', [0, 1], 0), OffsetCommitResponseCodec))).toEqual([0, 0]);
    tb.fs.failOn({ op: 'write', nth: 3 });
    const commits = 200;
    const codes = await pipelineCommits(client, 'faulty', 'events', commits);
    // @samsa/log takes a partition offline after a storage error, so the failed append and
    // every later one fail: acknowledged commits are a prefix, the rest NOT_COORDINATOR.
    const firstFailed = codes.findIndex((c) => c !== 0);
    expect(firstFailed).toBeGreaterThan(0);
    expect(new Set(codes.slice(firstFailed))).toEqual(new Set([ErrorCode.NOT_COORDINATOR]));
    expect(codes.slice(0, firstFailed).every((c) => c === 0)).toBe(true);
    expect(tb.broker.groups.coordinator.pendingAppends).toBe(0);
    const lastOk = (p: number): number => Math.max(0, ...Array.from({ length: firstFailed }, (_, i) => i).filter((i) => i % 2 === p).map((i) => i + 1));
    const g = new GroupTestClient(client, tb.clock, 'faulty', NEWEST);
    expect(await g.fetch('events', [0, 1])).toEqual({ errorCode: 0, offsets: { 0: lastOk(0), 1: lastOk(1) } });

    await tb.restart();
    await tb.broker.groups.loaded;
    const c2 = await tb.connect('after-restart');
    const again = new GroupTestClient(c2, tb.clock, 'faulty', NEWEST);
    expect(await again.fetch('events', [0, 1])).toEqual({ errorCode: 0, offsets: { 0: lastOk(0), 1: lastOk(1) } });
    const logged = await loggedCommits(tb, 'faulty');
    expect(logged.commits).toEqual(['0@0', '1@0', ...Array.from({ length: firstFailed }, (_, i) => `${i % 2}@${i + 1}`)]);
    expect(codesOf(await c2.request(8, 8, OffsetCommitRequestCodec, commitBody('faulty', 'events', [1], 777), OffsetCommitResponseCodec))).toEqual([0]);
    expect((await again.fetch('events', [1])).offsets[1]).toBe(777);
  });

  it('refuses commits beyond the queue bound with COORDINATOR_NOT_AVAILABLE while an append is held, and stays consistent', async () => {
    // __consumer_offsets appends wait while `holding` (a slow write).
    const gate = { holding: true, waiting: [] as Array<() => void>, appends: 0 };
    tb = await startTestBroker({
      overrides: OVERRIDES,
      offsetsAppendHook: async (log, batches) => {
        gate.appends++;
        if (gate.holding) await new Promise<void>((resolve) => gate.waiting.push(resolve));
        return log.append(batches);
      },
    });
    const { broker, clock } = tb;
    try {
      const c = await tb.connect();
      // Each commit carries `perCommit` partitions = records; the queue holds QUEUED_RECORDS_MAX / perCommit of them.
      const perCommit = 512;
      const fit = QUEUED_RECORDS_MAX / perCommit;
      await createTopic(c, 'wide', perCommit);
      const partitions = Array.from({ length: perCommit }, (_, i) => i);
      const sends = 16; // the connection's overlap limit (PRODUCE_IN_FLIGHT_MAX)
      expect(sends).toBeGreaterThan(fit + 1);
      const sent = Array.from({ length: sends }, (_, i) => sendCommit(c, 'bounded', 'wide', partitions, i + 1));
      for (let i = 0; i < 200 && broker.groups.appendStats.appendsReceived < sends; i++) await new Promise((r) => setTimeout(r, 1));
      expect(broker.groups.appendStats.appendsReceived).toBe(sends);
      expect(gate.appends).toBe(1);
      gate.holding = false;
      for (const w of gate.waiting.splice(0)) w();
      const codes: number[][] = [];
      for (const s of sent) codes.push(codesOf(await c.receive(s, OffsetCommitResponseCodec)));
      // 1 in flight + `fit` queued succeed; the rest are refused, every partition with the same retriable code.
      for (let i = 0; i < sends; i++) {
        expect(new Set(codes[i])).toEqual(new Set([i <= fit ? 0 : ErrorCode.COORDINATOR_NOT_AVAILABLE]));
      }
      expect(broker.groups.appendStats).toEqual({ appendsReceived: sends, writes: 2, refused: sends - fit - 1 });
      expect(broker.groups.coordinator.pendingAppends).toBe(0);
      const g = new GroupTestClient(c, clock, 'bounded', NEWEST);
      const fetched = await g.fetch('wide', [0, perCommit - 1]);
      expect(fetched).toEqual({ errorCode: 0, offsets: { 0: fit + 1, [perCommit - 1]: fit + 1 } });
      // Once the queue drained, a commit is accepted again.
      expect(new Set(codesOf(await c.request(8, 8, OffsetCommitRequestCodec, commitBody('bounded', 'wide', [0], 99), OffsetCommitResponseCodec)))).toEqual(new Set([0]));
      expect((await g.fetch('wide', [0])).offsets[0]).toBe(99);
    } finally {
      gate.holding = false;
      for (const w of gate.waiting.splice(0)) w();
    }
  });
});
