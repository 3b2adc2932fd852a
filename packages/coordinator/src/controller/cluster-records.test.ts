// The cluster schema: key layout (numeric order, parse ∘ build = id, foreign keys refused)
// and records (round trips; malformed values refused with a clear error).
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { ClusterKeys } from './cluster-keys.ts';
import {
  ClusterRecordError,
  decodeBrokerRegistration,
  decodeConfigRecord,
  decodeControllerRecord,
  decodePartitionRecord,
  decodeTopicRecord,
  encodeBrokerRegistration,
  encodeConfigRecord,
  encodeControllerRecord,
  encodePartitionRecord,
  encodeTopicRecord,
  isLegalTopicId,
  newTopicId,
} from './cluster-records.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const keys = new ClusterKeys('c1');
const topicId = newTopicId(createRandom(3));
const partition = { topicId, partition: 2, replicas: [3, 1, 2], isr: [1, 3], leader: 3, leaderEpoch: 4, partitionEpoch: 9 };

describe('ClusterKeys', () => {
  it('lays keys out under one root, ids padded so key order is numeric order', () => {
    expect(keys.controller).toBe('/samsa/c1/controller');
    expect(keys.broker(7)).toBe('/samsa/c1/brokers/0000000007');
    expect(keys.partition('orders', 12)).toBe('/samsa/c1/partitions/orders/0000000012');
    expect(keys.topicConfig('orders')).toBe('/samsa/c1/configs/topics/orders');
    expect(keys.broker(9) < keys.broker(10)).toBe(true);
  });
  it('parses every key it builds, and nothing else', () => {
    expect(keys.parse(keys.controller)).toEqual({ kind: 'controller' });
    expect(keys.parse(keys.broker(5))).toEqual({ kind: 'broker', brokerId: 5 });
    expect(keys.parse(keys.topic('a.b-c_d'))).toEqual({ kind: 'topic', topic: 'a.b-c_d' });
    expect(keys.parse(keys.partition('t', 3))).toEqual({ kind: 'partition', topic: 't', partition: 3 });
    expect(keys.parse(keys.brokerConfig(2))).toEqual({ kind: 'broker-config', brokerId: 2 });
    for (const bad of ['/samsa/c1/brokers/7', '/samsa/c1/topics/a/b', '/samsa/c2/controller', '/samsa/c1/partitions/t/x', '/samsa/c1/other']) expect(keys.parse(bad)).toBeNull();
  });
  it('refuses illegal names and ids', () => {
    expect(() => keys.topic('a/b')).toThrow(/illegal topic name/);
    expect(() => keys.topic('..')).toThrow(/illegal topic name/);
    expect(() => keys.broker(-1)).toThrow(/illegal id/);
    expect(() => new ClusterKeys('a/b')).toThrow(/cluster id/);
  });
});

describe('cluster records', () => {
  it('round-trip every record', () => {
    const c = { brokerId: 1, incarnation: 'ab12' };
    expect(decodeControllerRecord(encodeControllerRecord(c))).toEqual(c);
    const b = { brokerId: 2, host: '127.0.0.1', port: 9093, rack: null, incarnation: 'x' };
    expect(decodeBrokerRegistration(encodeBrokerRegistration(b))).toEqual(b);
    expect(decodeBrokerRegistration(encodeBrokerRegistration({ ...b, rack: 'r1' })).rack).toBe('r1');
    const withReplication = { ...b, replicationPort: 9193 };
    expect(decodeBrokerRegistration(encodeBrokerRegistration(withReplication))).toEqual(withReplication);
    const t = { name: 'orders', topicId, partitionCount: 3 };
    expect(decodeTopicRecord(encodeTopicRecord(t))).toEqual(t);
    expect(decodePartitionRecord(encodePartitionRecord(partition))).toEqual(partition);
    expect(decodeConfigRecord(encodeConfigRecord({ configs: { 'retention.ms': '1000' } }))).toEqual({ configs: { 'retention.ms': '1000' } });
  });

  it('decodes a broker registration written before replicationPort existed, without the field', () => {
    const old = decodeBrokerRegistration(text('{"v":1,"brokerId":1,"host":"h","port":9092,"rack":null,"incarnation":"i"}'));
    expect(old).toEqual({ brokerId: 1, host: 'h', port: 9092, rack: null, incarnation: 'i' });
    expect('replicationPort' in old).toBe(false);
    expect(new TextDecoder().decode(encodeBrokerRegistration(old))).not.toContain('replicationPort');
    expect(() => decodeBrokerRegistration(text('{"v":1,"brokerId":1,"host":"h","port":9092,"rack":null,"incarnation":"i","replicationPort":0}'))).toThrow(/replicationPort/);
  });

  it('keeps a reassignment in the partition record, and reads records written before reassignments as none', () => {
    const moving = { ...partition, replicas: [3, 1, 2, 4], addingReplicas: [4], removingReplicas: [2] };
    expect(decodePartitionRecord(encodePartitionRecord(moving))).toEqual(moving);
    // The issue-13 record (no reassignment fields) and one with both lists empty decode alike.
    expect(decodePartitionRecord(encodeRaw(partition))).toEqual(partition);
    expect(decodePartitionRecord(encodeRaw({ ...partition, addingReplicas: [], removingReplicas: [] }))).toEqual(partition);
    expect(new TextDecoder().decode(encodePartitionRecord({ ...partition, addingReplicas: [], removingReplicas: [] }))).not.toContain('Replicas"');
  });

  it('stores JSON with a version field', () => {
    expect(new TextDecoder().decode(encodeControllerRecord({ brokerId: 1, incarnation: 'i' }))).toBe('{"v":1,"brokerId":1,"incarnation":"i"}');
  });

  it('refuses malformed values with a clear error', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => decodeTopicRecord(text('not json')), /not UTF-8 JSON/],
      [() => decodeTopicRecord(new Uint8Array([0xff, 0xfe])), /not UTF-8 JSON/],
      [() => decodeTopicRecord(text('[1]')), /not a JSON object/],
      [() => decodeTopicRecord(text('{"v":2}')), /unknown record version/],
      [() => decodeTopicRecord(text(`{"v":1,"name":"t","topicId":"AAAAAAAAAAAAAAAAAAAAAA","partitionCount":1}`)), /topicId/],
      [() => decodeTopicRecord(text(`{"v":1,"name":"t","topicId":"${topicId}","partitionCount":0}`)), /partitionCount/],
      [() => decodeBrokerRegistration(text('{"v":1,"brokerId":1,"host":"h","port":70000,"rack":null,"incarnation":"i"}')), /port/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, leader: 2 })), /leader 2 is not in the ISR/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, isr: [1, 4] })), /ISR member 4 is not a replica/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, replicas: [1, 1] })), /repeats/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, isr: [] })), /non-empty array/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, leaderEpoch: -1 })), /leaderEpoch/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, addingReplicas: [4], removingReplicas: [] })), /reassigned broker 4 is not a replica/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, addingReplicas: [1], removingReplicas: [1] })), /overlap/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, addingReplicas: [], removingReplicas: [3, 1, 2] })), /remove every replica/],
      [() => decodePartitionRecord(encodeRaw({ ...partition, addingReplicas: 'x' })), /addingReplicas/],
      [() => decodeConfigRecord(text('{"v":1,"configs":{"a":1}}')), /must be a string/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(ClusterRecordError);
      expect(f).toThrow(message);
    }
  });

  it('makes topic ids of 16 random bytes, never the zero uuid', () => {
    expect(isLegalTopicId(topicId)).toBe(true);
    expect(newTopicId(createRandom(3))).toBe(topicId);
    const zeros = { fill: (b: Uint8Array) => b.fill(0) };
    expect(() => newTopicId(zeros)).toThrow(/zero/);
  });
});

function encodeRaw(o: object): Uint8Array {
  return text(JSON.stringify({ v: 1, ...o }));
}
