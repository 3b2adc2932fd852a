/**
 * Property tests of the __consumer_offsets record codecs.
 * Invariants:
 *  - decode(encode(x)) == x for OffsetCommit keys/values (v1 and v3) and GroupMetadata
 *    values (v0–v3, fields a version lacks read back as their defaults);
 *  - tombstones decode as `value: null` with the key intact;
 *  - any truncation of a valid key or value throws (never returns a partial record).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { decodeConsumerOffsetsRecord, encodeGroupMetadataRecord, encodeGroupMetadataValue, encodeOffsetCommitRecord, encodeGroupMetadataKey } from './consumer-offsets-records.ts';

const str = fc.string({ maxLength: 20, unit: 'grapheme' });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.maxSafeInteger();
const bytes = fc.uint8Array({ maxLength: 32 });

const offsetKey = fc.record({ group: str, topic: str, partition: int32 });
const offsetValue = fc.record({ offset: int64, leaderEpoch: int32, metadata: str, commitTimestampMs: int64, expireTimestampMs: fc.oneof(fc.constant(-1), fc.nat()) });
const member = fc.record({ memberId: str, groupInstanceId: fc.option(str), clientId: str, clientHost: str, rebalanceTimeoutMs: fc.nat(), sessionTimeoutMs: fc.nat(), subscription: bytes, assignment: bytes });
const groupValue = fc.record({ protocolType: str, generation: int32, protocol: fc.option(str), leader: fc.option(str), currentStateTimestampMs: int64, members: fc.array(member, { maxLength: 4 }) });

describe('consumer-offsets records round-trip', () => {
  it('offset commits (v3, or v1 when expireTimestamp is set)', () => {
    fc.assert(
      fc.property(offsetKey, offsetValue, (k, v) => {
        const raw = encodeOffsetCommitRecord(k, v);
        const rec = decodeConsumerOffsetsRecord(raw.key, raw.value);
        const want = { ...v, leaderEpoch: v.expireTimestampMs >= 0 ? -1 : v.leaderEpoch };
        if (rec.kind !== 'offset' || JSON.stringify(rec.key) !== JSON.stringify(k) || JSON.stringify(rec.value) !== JSON.stringify(want)) throw new Error(JSON.stringify(rec));
        const tomb = decodeConsumerOffsetsRecord(encodeOffsetCommitRecord(k, null).key, null);
        if (tomb.kind !== 'offset' || tomb.value !== null) throw new Error('tombstone');
      }),
    );
  });

  it('group metadata v0–v3', () => {
    fc.assert(
      fc.property(str, groupValue, fc.integer({ min: 0, max: 3 }), (group, v, version) => {
        const rec = decodeConsumerOffsetsRecord(encodeGroupMetadataKey(group), encodeGroupMetadataValue(v, version));
        const want = {
          ...v,
          currentStateTimestampMs: version >= 2 ? v.currentStateTimestampMs : -1,
          members: v.members.map((m) => ({ ...m, groupInstanceId: version >= 3 ? m.groupInstanceId : null, rebalanceTimeoutMs: version >= 1 ? m.rebalanceTimeoutMs : m.sessionTimeoutMs })),
        };
        if (rec.kind !== 'group' || rec.group !== group) throw new Error('kind');
        const enc = (x: unknown): string => JSON.stringify(x, (_k, val: unknown) => (val instanceof Uint8Array ? [...val] : val));
        if (enc(rec.value) !== enc(want)) throw new Error(`${enc(rec.value)} != ${enc(want)}`);
        if (decodeConsumerOffsetsRecord(encodeGroupMetadataRecord(group, null).key, null).kind !== 'group') throw new Error('tombstone');
      }),
    );
  });

  it('a truncated value or key throws', () => {
    fc.assert(
      fc.property(offsetKey, groupValue, fc.nat(), (k, gv, cut) => {
        const key = encodeOffsetCommitRecord(k, null).key;
        const value = encodeGroupMetadataValue(gv);
        const kc = cut % key.length;
        const vc = cut % value.length;
        let threw = 0;
        try {
          decodeConsumerOffsetsRecord(key.subarray(0, kc), null);
        } catch {
          threw++;
        }
        try {
          decodeConsumerOffsetsRecord(encodeGroupMetadataKey(k.group), value.subarray(0, vc));
        } catch {
          threw++;
        }
        if (threw !== 2) throw new Error(`truncation at ${kc}/${vc} did not throw`);
      }),
    );
  });
});
