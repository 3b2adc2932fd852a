// The group coordinator on a replicated `__consumer_offsets` (issue 14): a GroupService given
// a ReplicationService (here a fake the test answers by hand) acknowledges a write only once
// it is replicated, as Kafka's coordinator appends with acks=all and waits up to
// `offsets.commit.timeout.ms`. Checked through the service's requests (exactly the bodies
// the handlers encode), on a memory-runtime broker's registry:
//   - checkBeforeAppend(partition, -1) before and awaitAcks(partition, lastOffset, -1,
//     offsets.commit.timeout.ms) after each write; the OffsetCommit (and a SyncGroup's
//     assignment) is answered only after awaitAcks resolved, and the offset becomes visible
//     to OffsetFetch only then;
//   - errors map as Kafka's group coordinator maps them: NOT_ENOUGH_REPLICAS (nothing
//     written), NOT_ENOUGH_REPLICAS_AFTER_APPEND and REQUEST_TIMED_OUT → COORDINATOR_NOT_AVAILABLE,
//     NOT_LEADER_OR_FOLLOWER → NOT_COORDINATOR; the offset is not taken;
//   - a replication that never answers fails the write after offsets.commit.timeout.ms on
//     the Clock, and the partition's later writes go on;
//   - a slow replication does not reorder: later commits reach the log meanwhile (pipelined),
//     but are answered only after the earlier one, in emission order;
//   - without a ReplicationService (the single broker) no replication call is made and a
//     commit is answered once in the local log;
//   - in a cluster `__consumer_offsets` is asked for with min(offsets.topic.replication.factor,
//     brokers in the view) replicas, the factor defaulting to Kafka's 3.
import { ErrorCode } from '@samsa/codec';
import type { OffsetCommitResponse, SyncGroupResponse } from '@samsa/codec';
import type { CoordinatorResponse } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { LeadershipEvents } from '../cluster/leadership-events.ts';
import { silentLogger } from '../observability/logger.ts';
import type { Partition } from '../partitions/partition.ts';
import type { ReplicationService } from '../replication/replication-service.ts';
import { FakeGroupLink, groupsView } from '../testing/fake-group-link.ts';
import { startTestBroker } from '../testing/test-broker.ts';
import type { TestBroker } from '../testing/test-broker.ts';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets-log.ts';
import { GroupService } from './group-service.ts';

const TIMEOUT_MS = 7_000;
const GROUP = 'replicated-group';
const POLLS_MAX = 5_000;

interface AcksWait {
  readonly partition: Partition;
  readonly lastOffset: number;
  readonly acks: number;
  readonly timeoutMs: number;
  resolve(code: number): void;
}

/** A ReplicationService the test drives: checks answer `checkCode`; every awaitAcks waits until the test resolves it. */
class FakeReplication implements ReplicationService {
  checkCode: number = ErrorCode.NONE;
  readonly checks: { partition: Partition; acks: number }[] = [];
  readonly waits: AcksWait[] = [];

  checkBeforeAppend(partition: Partition, acks: number): number {
    this.checks.push({ partition, acks });
    return this.checkCode;
  }

  awaitAcks(partition: Partition, lastOffset: number, acks: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => this.waits.push({ partition, lastOffset, acks, timeoutMs, resolve }));
  }
}

/** Polls (real time, bounded) until `done()` holds. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < POLLS_MAX; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets every pending callback run (a few macrotask turns): what has not happened by then waits on something. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Tracks whether a promise settled yet. */
function tracked<T>(p: Promise<T>): { readonly promise: Promise<T>; readonly done: () => boolean } {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  return { promise: p, done: () => done };
}

let tb: TestBroker | null = null;
let service: GroupService | null = null;
afterEach(async () => {
  service?.close();
  service = null;
  await tb?.stop();
  tb = null;
});

interface Harness {
  readonly tb: TestBroker;
  readonly service: GroupService;
  readonly offsets: () => Partition;
  commit(offset: number): Promise<number>;
  fetch(): Promise<number>;
}

/** A broker's registry with `events` (1 partition) and `__consumer_offsets` (1 partition), and a GroupService over it. */
async function start(replication: ReplicationService | null): Promise<Harness> {
  tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0', `offsets.commit.timeout.ms=${TIMEOUT_MS}`] });
  expect((await tb.broker.registry.createTopic('events', 1, {})).errorCode).toBe(ErrorCode.NONE);
  const svc = new GroupService({
    registry: tb.broker.registry,
    clock: tb.clock,
    random: createRandom(7),
    logger: silentLogger,
    config: { offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 0 },
    replication,
  });
  service = svc;
  await svc.loaded;
  expect(await svc.ensureTopic()).toBe(ErrorCode.NONE);
  const registry = tb.broker.registry;
  return {
    tb,
    service: svc,
    offsets: () => registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!,
    async commit(offset) {
      const r = await svc.request('offsetCommit', {
        groupId: GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
      });
      return (bodyOf(r, 'OffsetCommit') as OffsetCommitResponse).topics[0]!.partitions[0]!.errorCode;
    },
    async fetch() {
      const r = await svc.request('offsetFetch', { groupId: GROUP, topics: [{ name: 'events', partitionIndexes: [0] }], requireStable: false });
      const body = bodyOf(r, 'OffsetFetch') as Extract<CoordinatorResponse, { api: 'OffsetFetch' }>['body'];
      expect(body.errorCode).toBe(ErrorCode.NONE);
      return body.topics[0]!.partitions[0]!.committedOffset;
    },
  };
}

function bodyOf(r: CoordinatorResponse, api: CoordinatorResponse['api']): CoordinatorResponse['body'] {
  expect(r.api).toBe(api);
  return r.body;
}

describe('group coordinator on a replicated __consumer_offsets', () => {
  it('answers an OffsetCommit only once its write is replicated (acks=-1 check before, awaitAcks with offsets.commit.timeout.ms after)', async () => {
    const repl = new FakeReplication();
    const h = await start(repl);
    const logEndBefore = h.offsets().log.logEndOffset;
    const commit = tracked(h.commit(42));
    await until(() => repl.waits.length === 1, 'the write to wait for replication');
    expect(repl.checks).toHaveLength(1);
    expect(repl.checks[0]!.partition).toBe(h.offsets());
    expect(repl.checks[0]!.acks).toBe(-1);
    const wait = repl.waits[0]!;
    expect(wait.partition).toBe(h.offsets());
    expect({ lastOffset: wait.lastOffset, acks: wait.acks, timeoutMs: wait.timeoutMs }).toEqual({ lastOffset: logEndBefore, acks: -1, timeoutMs: TIMEOUT_MS });
    expect(h.offsets().log.logEndOffset).toBe(logEndBefore + 1); // in the leader's log already
    await drain();
    expect(commit.done()).toBe(false); // not acknowledged before it is replicated
    expect(await h.fetch()).toBe(-1); // nor visible
    wait.resolve(ErrorCode.NONE);
    expect(await commit.promise).toBe(ErrorCode.NONE);
    expect(await h.fetch()).toBe(42);
  });

  it('maps replication errors as Kafka\'s group coordinator does, and a failed commit is not taken', async () => {
    const repl = new FakeReplication();
    const h = await start(repl);
    const cases: { code: number; expected: number }[] = [
      { code: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, expected: ErrorCode.COORDINATOR_NOT_AVAILABLE },
      { code: ErrorCode.REQUEST_TIMED_OUT, expected: ErrorCode.COORDINATOR_NOT_AVAILABLE },
      { code: ErrorCode.NOT_LEADER_OR_FOLLOWER, expected: ErrorCode.NOT_COORDINATOR },
    ];
    for (const [i, c] of cases.entries()) {
      const commit = h.commit(100 + i);
      await until(() => repl.waits.length === i + 1, `write ${i} to wait for replication`);
      repl.waits[i]!.resolve(c.code);
      expect(await commit).toBe(c.expected);
      expect(await h.fetch()).toBe(-1);
    }
    // ISR below min.insync.replicas before the append: refused, nothing written.
    repl.checkCode = ErrorCode.NOT_ENOUGH_REPLICAS;
    const logEnd = h.offsets().log.logEndOffset;
    expect(await h.commit(7)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.offsets().log.logEndOffset).toBe(logEnd);
    expect(repl.waits).toHaveLength(cases.length);
    repl.checkCode = ErrorCode.NONE;
    const ok = h.commit(8);
    await until(() => repl.waits.length === cases.length + 1, 'the next write to wait for replication');
    repl.waits[cases.length]!.resolve(ErrorCode.NONE);
    expect(await ok).toBe(ErrorCode.NONE);
    expect(await h.fetch()).toBe(8);
  });

  it('answers a SyncGroup\'s assignment only once replicated; NOT_ENOUGH_REPLICAS_AFTER_APPEND fails it with COORDINATOR_NOT_AVAILABLE', async () => {
    const repl = new FakeReplication();
    const h = await start(repl);
    const join = async (memberId: string): Promise<{ memberId: string; generationId: number }> => {
      const r = await h.service.request('joinGroup', {
        groupId: GROUP,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
        reason: null,
        clientId: 'c',
        clientHost: '/127.0.0.1',
        requireKnownMemberId: false,
        skipAssignmentSupported: false,
      });
      const body = bodyOf(r, 'JoinGroup') as Extract<CoordinatorResponse, { api: 'JoinGroup' }>['body'];
      expect(body.errorCode).toBe(ErrorCode.NONE);
      return { memberId: body.memberId, generationId: body.generationId };
    };
    const sync = (m: { memberId: string; generationId: number }): Promise<number> =>
      h.service
        .request('syncGroup', { groupId: GROUP, generationId: m.generationId, memberId: m.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: m.memberId, assignment: new Uint8Array([1, 2, 3]) }] })
        .then((r) => (bodyOf(r, 'SyncGroup') as SyncGroupResponse).errorCode);
    const first = await join('');
    const synced = tracked(sync(first));
    await until(() => repl.waits.length === 1, 'the assignment to wait for replication');
    await drain();
    expect(synced.done()).toBe(false);
    repl.waits[0]!.resolve(ErrorCode.NONE);
    expect(await synced.promise).toBe(ErrorCode.NONE);

    // The next generation's assignment: the ISR shrank below min.insync.replicas meanwhile.
    const again = await join(first.memberId);
    expect(again.generationId).toBe(first.generationId + 1);
    const failed = sync(again);
    await until(() => repl.waits.length === 2, 'the second assignment to wait for replication');
    repl.waits[1]!.resolve(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(await failed).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('fails a write whose replication never answers after offsets.commit.timeout.ms, and the partition\'s later writes go on', async () => {
    const repl = new FakeReplication();
    const h = await start(repl);
    const stuck = tracked(h.commit(1));
    await until(() => repl.waits.length === 1, 'the write to wait for replication');
    await h.tb.clock.advanceAsync(TIMEOUT_MS - 1);
    await drain();
    expect(stuck.done()).toBe(false);
    await h.tb.clock.advanceAsync(1);
    expect(await stuck.promise).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE); // REQUEST_TIMED_OUT, mapped
    const next = h.commit(2);
    await until(() => repl.waits.length === 2, 'the next write to wait for replication');
    repl.waits[1]!.resolve(ErrorCode.NONE);
    expect(await next).toBe(ErrorCode.NONE);
    repl.waits[0]!.resolve(ErrorCode.NONE); // a late answer changes nothing
    await drain();
    expect(await h.fetch()).toBe(2);
  });

  it('a slow replication does not reorder: later commits reach the log meanwhile but are answered after it, in order', async () => {
    const repl = new FakeReplication();
    const h = await start(repl);
    const answered: number[] = [];
    const commits = [1, 2, 3].map((offset) => h.commit(offset).then((code) => (answered.push(offset), code)));
    // The first write waits for replication; the other two go into the log behind it meanwhile.
    await until(() => repl.waits.length === 2, 'the later commits to be appended while the first replicates');
    expect(repl.waits[1]!.lastOffset).toBeGreaterThan(repl.waits[0]!.lastOffset);
    repl.waits[1]!.resolve(ErrorCode.NONE); // the later write is replicated first
    await drain();
    expect(answered).toEqual([]);
    expect(await h.fetch()).toBe(-1);
    repl.waits[0]!.resolve(ErrorCode.NONE);
    expect(await Promise.all(commits)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE]);
    expect(answered).toEqual([1, 2, 3]);
    expect(await h.fetch()).toBe(3);
  });

  it('without a ReplicationService (a single broker) a commit is answered once in the local log', async () => {
    const h = await start(null);
    const logEnd = h.offsets().log.logEndOffset;
    expect(await h.commit(5)).toBe(ErrorCode.NONE);
    expect(h.offsets().log.logEndOffset).toBe(logEnd + 1);
    expect(await h.fetch()).toBe(5);
  });
});

describe('__consumer_offsets replication factor in a cluster', () => {
  const OTHERS = [2, 3, 4].map((nodeId) => ({ nodeId, host: `broker-${nodeId}.test`, port: 9092 }));

  /** The replication factor a GroupService asks the controller for with `brokers` in the view and `overrides`. */
  async function askedReplicationFactor(brokers: number, overrides: string[] = []): Promise<number> {
    tb = await startTestBroker({ overrides: ['node.id=1', 'offsets.topic.num.partitions=1', ...overrides] });
    const me = { nodeId: 1, host: '127.0.0.1', port: tb.port };
    const link = new FakeGroupLink(1, groupsView({ revision: 1, brokers: [me, ...OTHERS].slice(0, brokers) }));
    const svc = new GroupService({
      registry: tb.broker.registry,
      clock: tb.clock,
      random: createRandom(9),
      logger: silentLogger,
      config: { offsetsTopicNumPartitions: 1 },
      cluster: link,
      leadership: new LeadershipEvents(),
    });
    service = svc;
    expect(await svc.ensureTopic()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE); // asked the controller
    expect(link.creates).toHaveLength(1);
    svc.close();
    service = null;
    await tb.stop();
    tb = null;
    return link.creates[0]!.replicationFactor ?? -1;
  }

  it('defaults to Kafka\'s 3, capped by the brokers in the view', async () => {
    expect(await askedReplicationFactor(4)).toBe(3);
    expect(await askedReplicationFactor(2)).toBe(2);
    expect(await askedReplicationFactor(1)).toBe(1);
    expect(await askedReplicationFactor(4, ['offsets.topic.replication.factor=4'])).toBe(4);
  });
});
