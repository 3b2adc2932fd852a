import { ErrorCode } from '@samsa/codec/wire';
import type { MetadataResponse } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { MetadataCache } from './metadata-cache.ts';

const topicId = '11111111-1111-1111-1111-111111111111';

function answer(leaders: { leaderId: number; leaderEpoch: number }[], extra: Partial<MetadataResponse> = {}): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [
      { nodeId: 1, host: 'a', port: 9092, rack: null },
      { nodeId: 2, host: 'b', port: 9092, rack: null },
    ],
    clusterId: 'c',
    controllerId: 1,
    clusterAuthorizedOperations: 0,
    topics: [
      {
        errorCode: ErrorCode.NONE,
        name: 't',
        topicId,
        isInternal: false,
        topicAuthorizedOperations: 0,
        partitions: leaders.map((l, i) => ({ errorCode: ErrorCode.NONE, partitionIndex: i, leaderId: l.leaderId, leaderEpoch: l.leaderEpoch, replicaNodes: [1, 2], isrNodes: [1, 2], offlineReplicas: [] })),
      },
    ],
    ...extra,
  };
}

describe('MetadataCache', () => {
  it('answers leaderFor, brokers and available partitions', () => {
    const m = new MetadataCache();
    m.update(answer([{ leaderId: 1, leaderEpoch: 0 }, { leaderId: -1, leaderEpoch: 0 }, { leaderId: 2, leaderEpoch: 3 }]), 10);
    expect(m.leaderFor('t', 0)).toBe(1);
    expect(m.leaderFor('t', 1)).toBeUndefined();
    expect(m.leaderFor('t', 2)).toBe(2);
    expect(m.leaderFor('t', 3)).toBeUndefined();
    expect(m.leaderFor('u', 0)).toBeUndefined();
    expect(m.availablePartitions('t')).toEqual([0, 2]);
    expect(m.broker(2)?.host).toBe('b');
    expect(m.isStale(10 + 999, 1000)).toBe(false);
    expect(m.isStale(10 + 1000, 1000)).toBe(true);
  });

  it('never moves a leader epoch backwards', () => {
    const m = new MetadataCache();
    m.update(answer([{ leaderId: 2, leaderEpoch: 5 }]), 0);
    m.update(answer([{ leaderId: 1, leaderEpoch: 4 }]), 1);
    expect(m.leaderFor('t', 0)).toBe(2);
    m.update(answer([{ leaderId: 1, leaderEpoch: 6 }]), 2);
    expect(m.leaderFor('t', 0)).toBe(1);
    expect(m.topic('t')?.partitions[0]?.leaderEpoch).toBe(6);
  });

  it('keeps a topic error with no partitions, and fills a partition hole as leaderless', () => {
    const m = new MetadataCache();
    const withHole = answer([{ leaderId: 1, leaderEpoch: 0 }, { leaderId: 1, leaderEpoch: 0 }]);
    withHole.topics[0]!.partitions.splice(0, 1);
    m.update(withHole, 0);
    expect(m.topic('t')?.partitions).toHaveLength(2);
    expect(m.leaderFor('t', 0)).toBeUndefined();
    expect(m.leaderFor('t', 1)).toBe(1);
    const missing = answer([]);
    missing.topics[0]!.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    m.update(missing, 1);
    expect(m.topic('t')?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(m.topic('t')?.partitions).toEqual([]);
  });
});
