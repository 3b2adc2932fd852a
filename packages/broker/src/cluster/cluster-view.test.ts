// leadsInThisIncarnation (cluster-view.ts): a broker leads a partition record only while it
// is registered and its registration is not newer than the record.
import { describe, expect, it } from 'vitest';
import { emptyClusterView, leadsInThisIncarnation, type BrokerView, type ClusterView, type PartitionView } from './cluster-view.ts';

function viewWith(brokers: ReadonlyArray<readonly [number, number]>): ClusterView {
  const map = new Map<number, BrokerView>();
  for (const [id, epoch] of brokers) map.set(id, { nodeId: id, host: '127.0.0.1', port: 9092, rack: null, epoch });
  return { ...emptyClusterView('c'), revision: 100, brokers: map };
}

const record = (leader: number, modRevision?: number): PartitionView => ({ topic: 't', partition: 0, leader, leaderEpoch: 4, partitionEpoch: 1, replicas: [2], isr: [2], ...(modRevision === undefined ? {} : { modRevision }) });

describe('leadsInThisIncarnation', () => {
  it('leads a record written after (or with) its registration', () => {
    expect(leadsInThisIncarnation(viewWith([[2, 26]]), record(2, 27), 2)).toBe(true);
    expect(leadsInThisIncarnation(viewWith([[2, 27]]), record(2, 27), 2)).toBe(true);
  });

  it('does not lead a record older than its registration (a restart the controller has not handled)', () => {
    expect(leadsInThisIncarnation(viewWith([[2, 40]]), record(2, 27), 2)).toBe(false);
  });

  it('does not lead while its registration is absent from the view (the store expired its lease)', () => {
    expect(leadsInThisIncarnation(viewWith([[1, 4], [3, 34]]), record(2, 27), 2)).toBe(false);
  });

  it('does not lead a record that names another leader; a view built by hand (no revision) is trusted', () => {
    expect(leadsInThisIncarnation(viewWith([[2, 26]]), record(3, 27), 2)).toBe(false);
    expect(leadsInThisIncarnation(viewWith([]), record(2), 2)).toBe(true);
  });
});
