// offline-partitions.ts: a partition is offline with no leader or a leader that is not a
// registered broker; the count covers every topic of the view; only the view's
// controller reports the gauge.
import { describe, expect, it } from 'vitest';
import { buildClusterView } from '../testing/fake-cluster-link.ts';
import { isPartitionOffline, offlinePartitionCount, offlinePartitionsGauge } from './offline-partitions.ts';

const view = buildClusterView({
  revision: 7,
  controllerId: 1,
  brokers: [{ nodeId: 1 }, { nodeId: 2 }], // broker 3's lease is gone
  topics: [
    {
      name: 'a',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      partitions: [
        { leader: 1, replicas: [1, 2, 3] }, // online, under-replicated is not offline
        { leader: -1, replicas: [3], isr: [3] }, // no leader
        { leader: 3, replicas: [3, 2], isr: [3] }, // leader not registered any more
      ],
    },
    { name: 'b', topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: [{ leader: 2, replicas: [2] }, { leader: -1, replicas: [1, 2], isr: [] }] },
  ],
});

describe('offline partitions', () => {
  it('counts partitions without a leader or with an unregistered leader, over every topic', () => {
    expect(view.topics.get('a')!.partitions.map((p) => isPartitionOffline(view, p))).toEqual([false, true, true]);
    expect(offlinePartitionCount(view)).toBe(3);
    expect(offlinePartitionCount(buildClusterView({ revision: 1, brokers: [{ nodeId: 1 }], topics: [{ name: 'c', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: [{ leader: 1, replicas: [1] }] }] }))).toBe(0);
    expect(offlinePartitionCount(buildClusterView({ revision: 0 }))).toBe(0);
  });

  it('is reported by the controller only', () => {
    expect(offlinePartitionsGauge(view, 1)).toBe(3);
    expect(offlinePartitionsGauge(view, 2)).toBeNull();
  });
});
