// samsa cluster's status (pure): fenced brokers, offline and under-replicated partitions,
// ordering, and the text; and the --metadata URL parser (exit 2 on a malformed one).
import { describe, expect, it } from 'vitest';
import { CliError } from '@samsa/host/cli';
import { parseMetadataUrl } from './cluster-from-etcd.ts';
import { clusterStatus, formatClusterStatus } from './cluster-status.ts';

const source = { kind: 'kafka' as const, address: '127.0.0.1:9092', revision: null };

describe('clusterStatus', () => {
  it('names unregistered replicas as fenced, leader -1 as offline, a short ISR as under-replicated, sorted', () => {
    const s = clusterStatus({
      source,
      clusterId: 'c',
      controller: { id: 2, epoch: null },
      brokers: [
        { id: 2, host: 'h', port: 2, rack: null },
        { id: 1, host: 'h', port: 1, rack: 'a' },
      ],
      topicCount: 2,
      partitions: [
        { topic: 'b', partition: 1, leader: -1, replicas: [5], isr: [5] },
        { topic: 'b', partition: 0, leader: 1, replicas: [1, 4], isr: [1] },
        { topic: 'a', partition: 3, leader: -1, replicas: [4, 5], isr: [4] },
        { topic: 'a', partition: 0, leader: 2, replicas: [2, 1], isr: [2, 1] },
      ],
    });
    expect(s.brokers.map((b) => b.id)).toEqual([1, 2]);
    expect(s.partitionCount).toBe(4);
    expect(s.fencedBrokers).toEqual([4, 5]);
    expect(s.offlinePartitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-3', 'b-1']);
    expect(s.underReplicatedPartitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-3', 'b-0']);
    const text = formatClusterStatus(s);
    expect(text).toContain('Cluster: c (from broker 127.0.0.1:9092)\nController: 2\n');
    expect(text).toContain('Fenced brokers: 4, 5\n');
    expect(text).toContain('Offline partitions (2):\n\ta-3\tleader -1\treplicas [4,5]\tisr [4]\n\tb-1\tleader -1\treplicas [5]\tisr [5]\n');
  });

  it('a healthy cluster says none', () => {
    const s = clusterStatus({ source, clusterId: null, controller: null, brokers: [{ id: 1, host: 'h', port: 1, rack: null }], topicCount: 1, partitions: [{ topic: 't', partition: 0, leader: 1, replicas: [1], isr: [1] }] });
    expect(formatClusterStatus(s)).toBe(
      'Cluster: unknown (from broker 127.0.0.1:9092)\nController: none\nBrokers (1):\n\t1\th:1\nTopics: 1, partitions: 1\nFenced brokers: none\nOffline partitions: none\nUnder-replicated partitions: none\n',
    );
  });
});

describe('parseMetadataUrl', () => {
  it('turns etcd://host:port,… into gateway URLs', () => {
    expect(parseMetadataUrl('etcd://127.0.0.1:2379')).toEqual(['http://127.0.0.1:2379']);
    expect(parseMetadataUrl('etcd://a:1, b.example:2379,[::1]:3')).toEqual(['http://a:1', 'http://b.example:2379', 'http://[::1]:3']);
  });

  it('refuses anything else with exit 2', () => {
    for (const bad of ['http://a:1', 'etcd://', 'etcd://a', 'etcd://a:0', 'etcd://a:99999', 'etcd://a:1,', 'etcd://a:1/x']) {
      let error: unknown = null;
      try {
        parseMetadataUrl(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode, bad).toBe(2);
    }
  });
});
