// leaderPartition (handlers/leadership.ts) on a hand-made context: the answers in Kafka's
// order, and a view newer than the registry's applied state (leadership moved away, the
// topic recreated) never lets a request through.
import { ErrorCode } from '@samsa/codec';
import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../partitions/partition.ts';
import { buildClusterView, FakeClusterLink } from '../testing/fake-cluster-link.ts';
import type { TopicSpec } from '../testing/fake-cluster-link.ts';
import { leaderPartition } from './leadership.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const spec = (leader: number, leaderEpoch: number, topicId = ID): TopicSpec => ({ name: 't', topicId, partitions: [{ leader, leaderEpoch, replicas: [1, 2] }] });

/** Node 1 whose registry applied: p0 led at epoch 3 under topic id `ID`. */
function context(viewTopic: TopicSpec | null, applied: { isLeader: boolean; leaderEpoch: number } = { isLeader: true, leaderEpoch: 3 }) {
  const link = new FakeClusterLink(1, buildClusterView({ revision: 1, brokers: [{ nodeId: 1 }, { nodeId: 2 }], topics: viewTopic ? [viewTopic] : [] }));
  const replica = { index: 0, ...applied } as unknown as Partition;
  const registry = {
    partition: (topic: string, index: number) => (topic === 't' && index === 0 ? replica : undefined),
    topic: (topic: string) => (topic === 't' ? { record: { name: 't', topicId: ID, partitions: 1, configs: {} }, partitions: [replica] } : undefined),
  };
  const ctx = { nodeId: 1, cluster: link, registry } as unknown as BrokerContext;
  return { ctx, link, replica };
}

describe('leaderPartition in cluster mode', () => {
  it('serves the applied leader that the view agrees with', () => {
    const { ctx, replica } = context(spec(1, 3));
    expect(leaderPartition(ctx, 't', 0).partition).toBe(replica);
    expect(leaderPartition(ctx, 't', 0, 3).partition).toBe(replica);
  });

  it('answers in Kafka order: unknown partition, fenced / unknown epoch, not leader', () => {
    const { ctx } = context(spec(1, 3));
    expect(leaderPartition(ctx, 't', 1).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(leaderPartition(ctx, 'x', 0).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(leaderPartition(ctx, 't', 0, 2).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(leaderPartition(ctx, 't', 0, 4).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const follower = context(spec(2, 3), { isLeader: false, leaderEpoch: 3 }).ctx;
    expect(leaderPartition(follower, 't', 0)).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 2, leaderEpoch: 3 } });
  });

  it('refuses once the view moved leadership away, before the registry applied it', () => {
    const { ctx } = context(spec(2, 4));
    expect(leaderPartition(ctx, 't', 0)).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 2, leaderEpoch: 4 } });
  });

  it('refuses when the view leads here at an epoch the registry has not applied yet', () => {
    const { ctx } = context(spec(1, 5));
    expect(leaderPartition(ctx, 't', 0).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(leaderPartition(ctx, 't', 0, 5).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it('refuses a replica of an older incarnation of the name (the view has a new topic id)', () => {
    const { ctx } = context(spec(1, 3, 'AAAAAAAAAAAAAAAAAAAAAg'));
    expect(leaderPartition(ctx, 't', 0).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('refuses everything while the lease may have expired', () => {
    const { ctx, link } = context(spec(1, 3));
    link.setLeaseValid(false);
    expect(leaderPartition(ctx, 't', 0).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
