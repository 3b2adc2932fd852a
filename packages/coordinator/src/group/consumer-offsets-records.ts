/**
 * Records of the `__consumer_offsets` topic, with Kafka's versioned key/value schemas
 * (group-coordinator/src/main/resources/common/message/*.json in apache/kafka), so a Kafka
 * tool that reads the topic understands what Samsa writes, and Samsa can replay a topic
 * Kafka wrote. Every key and value starts with an int16 schema version. A null value is a
 * tombstone (compaction then drops the key).
 *
 *   OffsetCommitKey     (key v0/v1): group string, topic string, partition int32
 *   GroupMetadataKey    (key v2):    group string
 *   OffsetCommitValue   v0: offset int64, metadata string, commitTimestamp int64
 *                       v1: offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *                       v2: offset int64, metadata string, commitTimestamp int64
 *                       v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *                       v4: as v3, flexible (compact strings, tagged fields)       (decode only)
 *   GroupMetadataValue  v0: protocolType string, generation int32, protocol string?, leader string?,
 *                           members [memberId string, clientId string, clientHost string,
 *                                    sessionTimeout int32, subscription bytes, assignment bytes]
 *                       v1: member + rebalanceTimeout int32 (before sessionTimeout)
 *                       v2: + currentStateTimestamp int64 (after leader)
 *                       v3: member + groupInstanceId string? (after memberId)
 *                       v4: as v3, flexible                                        (decode only)
 * `string` is int16 length + UTF-8 (-1 = null for `string?`); `bytes` is int32 length;
 * arrays are an int32 count (flexible versions use unsigned-varint lengths + 1).
 *
 * We write key v1 / OffsetCommitValue v3 (v1 only when an explicit expireTimestamp is
 * set, like Kafka ≥ 2.1) / GroupMetadataKey v2 / GroupMetadataValue v3. Key versions ≥ 3
 * (transaction and KIP-848 records) decode as `{ kind: 'unknown' }` and are skipped.
 *
 * Pure; decoders throw DecodeError on malformed input and never read past it.
 */
import { Reader, Writer, sizeString, sizeNullableString, sizeBytes, DecodeError } from '@samsa/codec';

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown (value versions < 3). */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** -1 unless the commit asked for an explicit retention (value v1). */
  expireTimestampMs: number;
}

export interface GroupMetadataMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Uint8Array;
  assignment: Uint8Array;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (value versions < 2). */
  currentStateTimestampMs: number;
  members: GroupMetadataMember[];
}

/** One decoded record; `value: null` is a tombstone. */
export type ConsumerOffsetsRecord =
  | { kind: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { kind: 'group'; group: string; value: GroupMetadataValue | null }
  | { kind: 'unknown'; keyVersion: number };

/** Raw key/value bytes as they go into (or come out of) a record batch. */
export interface RawRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;

export function encodeOffsetCommitKey(k: OffsetCommitKey, version = OFFSET_COMMIT_KEY_VERSION): Uint8Array {
  if (version !== 0 && version !== 1) throw new RangeError(`OffsetCommitKey version ${version}`);
  const w = new Writer(2 + sizeString(false, k.group) + sizeString(false, k.topic) + 4);
  w.int16(version);
  w.string(false, k.group);
  w.string(false, k.topic);
  w.int32(k.partition);
  return w.finish();
}

/** The value version Kafka would pick: v1 carries an explicit expireTimestamp, else v3. */
export function offsetCommitValueVersion(v: OffsetCommitValue): number {
  return v.expireTimestampMs >= 0 ? 1 : 3;
}

export function encodeOffsetCommitValue(v: OffsetCommitValue, version = offsetCommitValueVersion(v)): Uint8Array {
  if (version < 0 || version > 3) throw new RangeError(`OffsetCommitValue version ${version} (encode supports 0-3)`);
  const size = 2 + 8 + (version >= 3 ? 4 : 0) + sizeString(false, v.metadata) + 8 + (version === 1 ? 8 : 0);
  const w = new Writer(size);
  w.int16(version);
  w.int64(v.offset);
  if (version >= 3) w.int32(v.leaderEpoch);
  w.string(false, v.metadata);
  w.int64(v.commitTimestampMs);
  if (version === 1) w.int64(v.expireTimestampMs);
  return w.finish();
}

export function encodeGroupMetadataKey(group: string): Uint8Array {
  const w = new Writer(2 + sizeString(false, group));
  w.int16(GROUP_METADATA_KEY_VERSION);
  w.string(false, group);
  return w.finish();
}

export const GROUP_METADATA_VALUE_VERSION = 3;

export function encodeGroupMetadataValue(v: GroupMetadataValue, version = GROUP_METADATA_VALUE_VERSION): Uint8Array {
  if (version < 0 || version > 3) throw new RangeError(`GroupMetadataValue version ${version} (encode supports 0-3)`);
  let size = 2 + sizeString(false, v.protocolType) + 4 + sizeNullableString(false, v.protocol) + sizeNullableString(false, v.leader);
  if (version >= 2) size += 8;
  size += 4;
  for (const m of v.members) {
    size += sizeString(false, m.memberId);
    if (version >= 3) size += sizeNullableString(false, m.groupInstanceId);
    size += sizeString(false, m.clientId) + sizeString(false, m.clientHost);
    if (version >= 1) size += 4;
    size += 4 + sizeBytes(false, m.subscription) + sizeBytes(false, m.assignment);
  }
  const w = new Writer(size);
  w.int16(version);
  w.string(false, v.protocolType);
  w.int32(v.generation);
  w.nullableString(false, v.protocol);
  w.nullableString(false, v.leader);
  if (version >= 2) w.int64(v.currentStateTimestampMs);
  w.arrayLength(false, v.members.length);
  for (const m of v.members) {
    w.string(false, m.memberId);
    if (version >= 3) w.nullableString(false, m.groupInstanceId);
    w.string(false, m.clientId);
    w.string(false, m.clientHost);
    if (version >= 1) w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(false, m.subscription);
    w.bytes(false, m.assignment);
  }
  return w.finish();
}

/** An offset commit (or its tombstone with `value === null`) as key/value bytes. */
export function encodeOffsetCommitRecord(key: OffsetCommitKey, value: OffsetCommitValue | null): RawRecord {
  return { key: encodeOffsetCommitKey(key), value: value === null ? null : encodeOffsetCommitValue(value) };
}

/** Group metadata (or its tombstone with `value === null`) as key/value bytes. */
export function encodeGroupMetadataRecord(group: string, value: GroupMetadataValue | null): RawRecord {
  return { key: encodeGroupMetadataKey(group), value: value === null ? null : encodeGroupMetadataValue(value) };
}

function finish(r: Reader): void {
  const err = r.complete();
  if (err !== null) throw err;
}

function unsupported(api: string, version: number): never {
  throw new DecodeError('unsupported', api, version, '', `unknown ${api} version ${version}`);
}

/** Skips a tagged-field section (flexible versions). */
function skipTags(r: Reader): void {
  const n = r.tagCount();
  for (let i = 0; i < n && !r.failed; i++) {
    r.uvarint();
    r.raw(r.tagSize());
  }
}

function decodeOffsetCommitValue(bytes: Uint8Array): OffsetCommitValue {
  const r = new Reader(bytes, 'OffsetCommitValue');
  const version = r.int16();
  r.version = version;
  if (!r.failed && (version < 0 || version > 4)) unsupported('OffsetCommitValue', version);
  const flex = version >= 4;
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string(flex);
  const commitTimestampMs = r.int64();
  const expireTimestampMs = version === 1 ? r.int64() : -1;
  if (flex) skipTags(r);
  finish(r);
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

function decodeGroupMetadataValue(bytes: Uint8Array): GroupMetadataValue {
  const r = new Reader(bytes, 'GroupMetadataValue');
  const version = r.int16();
  r.version = version;
  if (!r.failed && (version < 0 || version > 4)) unsupported('GroupMetadataValue', version);
  const flex = version >= 4;
  const protocolType = r.string(flex);
  const generation = r.int32();
  const protocol = r.nullableString(flex);
  const leader = r.nullableString(flex);
  const currentStateTimestampMs = version >= 2 ? r.int64() : -1;
  // Smallest member: memberId, clientId, clientHost (2 bytes each), sessionTimeout 4, two bytes 4+4.
  const count = r.arrayLength(flex, false, flex ? 11 : 18);
  const members: GroupMetadataMember[] = [];
  for (let i = 0; i < count && !r.failed; i++) {
    const memberId = r.string(flex);
    const groupInstanceId = version >= 3 ? r.nullableString(flex) : null;
    const clientId = r.string(flex);
    const clientHost = r.string(flex);
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = r.bytes(flex).slice();
    const assignment = r.bytes(flex).slice();
    if (flex) skipTags(r);
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment });
  }
  if (flex) skipTags(r);
  finish(r);
  return { protocolType, generation, protocol, leader, currentStateTimestampMs, members };
}

/**
 * Decodes one `__consumer_offsets` record. Throws DecodeError on malformed bytes or an
 * unknown value version; an unknown KEY version (≥ 3) is not an error but `kind: 'unknown'`.
 */
export function decodeConsumerOffsetsRecord(key: Uint8Array, value: Uint8Array | null): ConsumerOffsetsRecord {
  const r = new Reader(key, 'ConsumerOffsetsKey');
  const keyVersion = r.int16();
  r.version = keyVersion;
  if (r.failed) finish(r);
  if (keyVersion === 0 || keyVersion === 1) {
    const group = r.string(false);
    const topic = r.string(false);
    const partition = r.int32();
    finish(r);
    return { kind: 'offset', key: { group, topic, partition }, value: value === null ? null : decodeOffsetCommitValue(value) };
  }
  if (keyVersion === 2) {
    const group = r.string(false);
    finish(r);
    return { kind: 'group', group, value: value === null ? null : decodeGroupMetadataValue(value) };
  }
  return { kind: 'unknown', keyVersion };
}
