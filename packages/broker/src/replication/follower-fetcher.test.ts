// The follower's fetch loop (follower-fetcher.ts) against a real leader answer
// (answerReplicaFetch over another broker's partition and a LeaderReplica), in place of the
// network: it copies the leader byte for byte and follows its HW; it truncates a divergent
// tail by leader epoch; it backs off (losing nothing) when the leader is unreachable; and
// close() ends a fetch that would otherwise wait. machineResponse refuses a cut batch.
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode } from '@samsa/codec';
import { FollowerReplica, LeaderReplica } from '@samsa/replication';
import { afterEach, describe, expect, it } from 'vitest';
import type { Partition } from '../partitions/partition.ts';
import { batchOf, createTopicsBody } from '../testing/requests.ts';
import { startTestBroker } from '../testing/test-broker.ts';
import type { TestBroker } from '../testing/test-broker.ts';
import { FollowerFetcher, machineResponse, type FollowerSlot } from './follower-fetcher.ts';
import { answerReplicaFetch } from './leader-fetch-handler.ts';
import { REPLICA_FETCH_DEFAULTS } from './replica-fetch-config.ts';
import type { ReplicaFetchRequest, ReplicaFetchResponse } from './replica-fetch-messages.ts';
import type { ReplicaFetcherConnection } from './replica-fetcher-connection.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const brokers: TestBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.stop();
});

async function partitionOn(): Promise<{ tb: TestBroker; p: Partition }> {
  const tb = await startTestBroker();
  brokers.push(tb);
  const client = await tb.connect();
  await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody('t', 1), CreateTopicsResponseCodec);
  return { tb, p: tb.broker.registry.partition('t', 0)! };
}

function epochHistory(p: Partition) {
  return {
    endOffsetFor: (e: number) => {
      const r = p.log.endOffsetForEpoch(e);
      return r.endOffset < 0 ? null : { epoch: r.leaderEpoch, endOffset: r.endOffset };
    },
    latestEpoch: () => p.log.latestEpoch(),
  };
}

async function leaderAt(epoch: number): Promise<{ tb: TestBroker; p: Partition; replica: LeaderReplica }> {
  const { tb, p } = await partitionOn();
  p.leaderEpoch = epoch;
  await p.startLeaderEpoch(epoch);
  const replica = new LeaderReplica({ localBrokerId: 1, state: { leader: 1, leaderEpoch: epoch, partitionEpoch: 0, replicas: [1, 2], isr: [1, 2] }, logEndOffset: p.log.logEndOffset, logStartOffset: 0, highWatermark: 0, epochHistory: epochHistory(p), nowMs: 0 });
  p.log.onAppend((e) => replica.localAppended(e.logEndOffset));
  return { tb, p, replica };
}

/** A connection whose fetch is the leader's answer (or whatever `override` says). */
function connectionTo(leader: { p: Partition; replica: LeaderReplica; tb: TestBroker }, override?: (req: ReplicaFetchRequest) => Promise<ReplicaFetchResponse> | null) {
  const fetches: ReplicaFetchRequest[] = [];
  const connection = {
    async fetch(req: ReplicaFetchRequest): Promise<ReplicaFetchResponse> {
      fetches.push(req);
      // A network round trip is a macrotask: let timers (the test's polling) run.
      await new Promise((resolve) => setTimeout(resolve, 1));
      const o = override?.(req);
      if (o) return o;
      return answerReplicaFetch({ clock: leader.tb.clock, led: () => ({ partition: leader.p, topicId: TOPIC_ID, replica: leader.replica }), decide: (l, f) => l.replica.followerFetch(f, 0).decision }, req, new AbortController().signal);
    },
  } as unknown as ReplicaFetcherConnection;
  return { connection, fetches };
}

function follow(follower: Partition, tb: TestBroker, leaderEpoch: number, connection: ReplicaFetcherConnection | null): { fetcher: FollowerFetcher; slot: FollowerSlot } {
  follower.isLeader = false;
  follower.writable = false;
  const replica = new FollowerReplica({
    localBrokerId: 2,
    topic: 't',
    partition: 0,
    leaderId: 1,
    leaderEpoch,
    log: { ...epochHistory(follower), logEndOffset: () => follower.log.logEndOffset, logStartOffset: () => follower.log.logStartOffset, highWatermark: () => follower.log.highWatermark },
    fetchBackoffMs: 100,
  });
  const slot: FollowerSlot = { partition: follower, topicId: TOPIC_ID, replica, leaderId: 1, leaderEpoch, closed: false, pausedUntilMs: 0 };
  const fetcher = new FollowerFetcher({
    leaderId: 1,
    fetcherIndex: 0,
    localBrokerId: 2,
    clock: tb.clock,
    logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
    config: { ...REPLICA_FETCH_DEFAULTS, waitMaxMs: 0 },
    connection: () => connection,
    brokerEpoch: () => 7,
  });
  fetcher.add(slot);
  return { fetcher, slot };
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`not reached: ${what}`);
}

const bytesOf = async (p: Partition) => (await p.log.read(p.log.logStartOffset, 1 << 20, { maxOffset: p.log.logEndOffset })).records;

describe('FollowerFetcher', () => {
  it('copies the leader byte for byte (offsets and epochs kept); its next fetch moves the leader HW', async () => {
    const leader = await leaderAt(4);
    for (const v of [['a', 'b'], ['c']]) expect((await leader.p.produce(batchOf(v))).errorCode).toBe(ErrorCode.NONE);
    const f = await partitionOn();
    const { connection, fetches } = connectionTo(leader);
    const { fetcher } = follow(f.p, f.tb, 4, connection);
    try {
      // (These test brokers' logs keep HW = log end; the HW a follower sets is checked in the host's replication test.)
      await until('the follower holds the log and has fetched past it', () => f.p.log.logEndOffset === 3 && leader.replica.highWatermark === 3);
      expect(await bytesOf(f.p)).toEqual(await bytesOf(leader.p));
      expect(f.p.log.latestEpoch()).toBe(4);
      expect(leader.replica.highWatermark).toBe(3);
      expect(fetches[0]).toMatchObject({ replicaId: 2, brokerEpoch: 7, partitions: [{ topicId: TOPIC_ID, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 4 }] });
    } finally {
      await fetcher.close();
    }
  });

  it('truncates a tail the leader does not have (diverging epoch), then copies the leader', async () => {
    const leader = await leaderAt(5);
    const f = await partitionOn();
    // The follower led epoch 2 once and wrote two records nobody else has; the leader's
    // epoch 2 holds one record, then epoch 5 starts.
    f.p.leaderEpoch = 2;
    for (const v of ['x', 'only-here', 'only-here-too']) expect((await f.p.produce(batchOf([v]))).errorCode).toBe(ErrorCode.NONE);
    leader.p.leaderEpoch = 2;
    await leader.p.log.assignEpochStartOffset(2, 0);
    expect((await leader.p.produce(batchOf(['x']))).errorCode).toBe(ErrorCode.NONE);
    leader.p.leaderEpoch = 5;
    await leader.p.log.assignEpochStartOffset(5, 1);
    expect((await leader.p.produce(batchOf(['new']))).errorCode).toBe(ErrorCode.NONE);
    const { connection } = connectionTo(leader);
    const { fetcher } = follow(f.p, f.tb, 5, connection);
    try {
      await until('the follower matches the leader', () => f.p.log.logEndOffset === 2 && f.p.log.latestEpoch() === 5);
      const text = new TextDecoder().decode(await bytesOf(f.p));
      expect(text).not.toContain('only-here');
      expect(text).toContain('new');
      expect(f.p.log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 1 });
    } finally {
      await fetcher.close();
    }
  });

  it('backs off while the leader is unreachable, loses nothing, and close() ends a fetch that would wait', async () => {
    const leader = await leaderAt(1);
    expect((await leader.p.produce(batchOf(['a']))).errorCode).toBe(ErrorCode.NONE);
    const f = await partitionOn();
    let failing = true;
    let hung: (() => void) | null = null;
    const { connection, fetches } = connectionTo(leader, () => {
      if (failing) return Promise.reject(new Error('connect-failed'));
      return null;
    });
    const { fetcher } = follow(f.p, f.tb, 1, connection);
    await until('a failed fetch', () => fetches.length >= 1);
    f.tb.clock.advance(50);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fetches).toHaveLength(1); // backing off (100 ms)
    expect(f.p.log.logEndOffset).toBe(0);
    failing = false;
    f.tb.clock.advance(100);
    await until('the copy after the back-off', () => f.p.log.logEndOffset === 1);
    // Now a fetch that never answers: close() still ends the loop (the pool closes connections first in the manager; here nothing answers at all).
    const { fetcher: stuck } = follow(f.p, f.tb, 1, { fetch: () => new Promise<ReplicaFetchResponse>((resolve) => (hung = () => resolve({ errorCode: ErrorCode.NONE, partitions: [] }))) } as unknown as ReplicaFetcherConnection);
    await fetcher.close();
    await until('the stuck fetch is sent', () => hung !== null);
    const closing = stuck.close();
    hung!();
    await closing;
    expect(stuck.size).toBe(1);
  });

  it('takes an answer only from its place in the response: another partition there is a failed fetch', async () => {
    const leader = await leaderAt(1);
    expect((await leader.p.produce(batchOf(['a']))).errorCode).toBe(ErrorCode.NONE);
    const f = await partitionOn();
    const { connection, fetches } = connectionTo(leader, () => Promise.resolve({ errorCode: ErrorCode.NONE, partitions: [{ topic: 't', partition: 9, errorCode: 0, highWatermark: 1, logStartOffset: 0, divergingEpoch: null, records: batchOf(['x'], { baseOffset: 0, partitionLeaderEpoch: 1 }) }] }));
    const { fetcher, slot } = follow(f.p, f.tb, 1, connection);
    try {
      await until('the answer handled', () => fetches.length >= 1 && slot.replica.backoffUntilMs > 0);
      expect(f.p.log.logEndOffset).toBe(0); // nothing appended from another partition's answer
    } finally {
      await fetcher.close();
    }
  });

  it('machineResponse describes whole batches and refuses a cut one', () => {
    const a = batchOf(['a', 'b'], { baseOffset: 4, partitionLeaderEpoch: 2 });
    const b = batchOf(['c'], { baseOffset: 6, partitionLeaderEpoch: 3 });
    const both = new Uint8Array(a.byteLength + b.byteLength);
    both.set(a);
    both.set(b, a.byteLength);
    const answer = { topic: 't', partition: 0, errorCode: 0, highWatermark: 5, logStartOffset: 0, divergingEpoch: null, records: both };
    expect(machineResponse(answer)).toEqual({ errorCode: 0, highWatermark: 5, logStartOffset: 0, divergingEpoch: null, records: { firstOffset: 4, lastOffset: 6, sizeBytes: both.byteLength, maxLeaderEpoch: 3 } });
    expect(machineResponse({ ...answer, records: both.subarray(0, both.byteLength - 1) })).toBeNull();
    expect(machineResponse({ ...answer, records: new Uint8Array(0) })?.records).toBeNull();
  });
});
