// Byte-exact layouts of the __consumer_offsets key/value schemas, written out by hand from
// Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value JSON schemas.
import { describe, expect, it } from 'vitest';
import {
  decodeConsumerOffsetsRecord,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitRecord,
  encodeOffsetCommitValue,
  encodeGroupMetadataRecord,
} from './consumer-offsets-records.ts';
import { decodeMemberAssignment, decodeMemberSubscription, encodeMemberAssignment } from './consumer-protocol.ts';

const hex = (b: Uint8Array | null): string => (b === null ? 'null' : [...b].map((x) => x.toString(16).padStart(2, '0')).join(''));

describe('OffsetCommitKey / OffsetCommitValue', () => {
  it('key v1: int16 version, group, topic, int32 partition', () => {
    expect(hex(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 3 }))).toBe('0001' + '000167' + '000174' + '00000003');
  });
  it('value v3: offset, leaderEpoch, metadata, commitTimestamp', () => {
    const v = { offset: 258, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1, expireTimestampMs: -1 };
    expect(hex(encodeOffsetCommitValue(v))).toBe('0003' + '0000000000000102' + '00000005' + '00016d' + '0000000000000001');
  });
  it('value v1 (explicit expireTimestamp): offset, metadata, commitTimestamp, expireTimestamp', () => {
    const v = { offset: 1, leaderEpoch: 9, metadata: '', commitTimestampMs: 2, expireTimestampMs: 3 };
    expect(hex(encodeOffsetCommitValue(v))).toBe('0001' + '0000000000000001' + '0000' + '0000000000000002' + '0000000000000003');
    expect(decodeConsumerOffsetsRecord(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }), encodeOffsetCommitValue(v))).toEqual({
      kind: 'offset',
      key: { group: 'g', topic: 't', partition: 0 },
      value: { offset: 1, leaderEpoch: -1, metadata: '', commitTimestampMs: 2, expireTimestampMs: 3 },
    });
  });
  it('decodes v0 and v2 (no leader epoch, no expire timestamp) and key v0', () => {
    const key0 = new Uint8Array([0, 0, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 7]);
    const v0 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect(decodeConsumerOffsetsRecord(key0, v0)).toEqual({ kind: 'offset', key: { group: 'g', topic: 't', partition: 7 }, value: { offset: 9, leaderEpoch: -1, metadata: '', commitTimestampMs: 4, expireTimestampMs: -1 } });
    const v2 = v0.slice();
    v2[1] = 2;
    expect(decodeConsumerOffsetsRecord(key0, v2)).toMatchObject({ value: { offset: 9, commitTimestampMs: 4 } });
  });
  it('decodes flexible v4 values (compact string, tagged fields)', () => {
    const v4 = new Uint8Array([0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 2, 2, 0x6d, 0, 0, 0, 0, 0, 0, 0, 4, 1, 7, 1, 0xff]);
    expect(decodeConsumerOffsetsRecord(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }), v4)).toMatchObject({
      value: { offset: 9, leaderEpoch: 2, metadata: 'm', commitTimestampMs: 4 },
    });
  });
  it('tombstones, unknown key versions, and malformed bytes', () => {
    const r = encodeOffsetCommitRecord({ group: 'g', topic: 't', partition: 0 }, null);
    expect(r.value).toBeNull();
    expect(decodeConsumerOffsetsRecord(r.key, null)).toEqual({ kind: 'offset', key: { group: 'g', topic: 't', partition: 0 }, value: null });
    expect(decodeConsumerOffsetsRecord(new Uint8Array([0, 3, 1, 2]), null)).toEqual({ kind: 'unknown', keyVersion: 3 });
    expect(() => decodeConsumerOffsetsRecord(new Uint8Array([0, 1, 0, 5, 0x67]), null)).toThrow();
    expect(() => decodeConsumerOffsetsRecord(r.key, new Uint8Array([0, 9, 0, 0]))).toThrow(/version 9/);
    expect(() => decodeConsumerOffsetsRecord(r.key, new Uint8Array([0, 3, 0]))).toThrow();
  });
});

describe('GroupMetadataKey / GroupMetadataValue', () => {
  const member = { memberId: 'm', groupInstanceId: 'i', clientId: 'c', clientHost: 'h', rebalanceTimeoutMs: 7, sessionTimeoutMs: 6, subscription: new Uint8Array([1]), assignment: new Uint8Array([2, 3]) };
  const value = { protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm', currentStateTimestampMs: 5, members: [member] };

  it('key v2: int16 version, group', () => {
    expect(hex(encodeGroupMetadataRecord('g', null).key)).toBe('0002000167');
  });
  it('value v3 layout', () => {
    const s = (x: string): string => (x.length.toString(16).padStart(4, '0') + hex(new TextEncoder().encode(x)));
    const expected =
      '0003' + s('consumer') + '00000004' + s('range') + s('m') + '0000000000000005' + '00000001' +
      s('m') + s('i') + s('c') + s('h') + '00000007' + '00000006' + '0000000101' + '000000020203';
    expect(hex(encodeGroupMetadataValue(value))).toBe(expected);
  });
  it('v0 has no rebalanceTimeout (decoded as the session timeout), v0/v1 no timestamp, < v3 no instance id', () => {
    for (const version of [0, 1, 2, 3]) {
      const bytes = encodeGroupMetadataValue(value, version);
      const rec = decodeConsumerOffsetsRecord(encodeGroupMetadataRecord('g', null).key, bytes);
      expect(rec).toEqual({
        kind: 'group',
        group: 'g',
        value: {
          ...value,
          currentStateTimestampMs: version >= 2 ? 5 : -1,
          members: [{ ...member, groupInstanceId: version >= 3 ? 'i' : null, rebalanceTimeoutMs: version >= 1 ? 7 : 6 }],
        },
      });
    }
  });
  it('null protocol and leader (an Empty group)', () => {
    const empty = { ...value, protocol: null, leader: null, members: [] };
    const rec = decodeConsumerOffsetsRecord(encodeGroupMetadataRecord('g', null).key, encodeGroupMetadataValue(empty));
    expect(rec).toEqual({ kind: 'group', group: 'g', value: empty });
  });
});

describe('consumer protocol payloads', () => {
  it('decodes a KafkaJS-style v0 subscription and an assignment; reads newer versions as v3', () => {
    // version 0, topics ["t"], userData null
    const sub = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeMemberSubscription(sub)).toMatchObject({ version: 0, topics: ['t'], userData: null });
    const a = encodeMemberAssignment({ assignedPartitions: [{ topic: 't', partitions: [0, 2] }], userData: null });
    expect(decodeMemberAssignment(a)).toMatchObject({ version: 0, assignedPartitions: [{ topic: 't', partitions: [0, 2] }] });
    const future = new Uint8Array([...a, 9, 9]);
    future[1] = 7; // version 7 with extra trailing fields
    expect(decodeMemberAssignment(future).assignedPartitions).toEqual([{ topic: 't', partitions: [0, 2] }]);
    expect(() => decodeMemberAssignment(new Uint8Array([0, 0, 0, 0, 0, 5]))).toThrow();
    expect(() => decodeMemberAssignment(new Uint8Array([0xff, 0xff]))).toThrow();
  });
});
