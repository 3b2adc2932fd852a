/**
 * Parsing the "consumer" protocol payloads the coordinator only stores: a member's
 * subscription (JoinGroup protocol metadata) and assignment (SyncGroup). Layout: int16
 * version, then ConsumerProtocolSubscription / ConsumerProtocolAssignment (generated
 * codecs in @samsa/codec). Like Kafka's ConsumerProtocol, a version newer than we know
 * (> 3) is read as the newest known one: newer versions only append fields, and trailing
 * bytes are then ignored.
 *
 * Used for DescribeGroups/CLI describe and by OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC).
 * Pure; throws DecodeError on malformed input.
 */
import {
  Reader,
  Writer,
  readConsumerProtocolAssignment,
  readConsumerProtocolSubscription,
  sizeConsumerProtocolAssignment,
  sizeConsumerProtocolSubscription,
  writeConsumerProtocolAssignment,
  writeConsumerProtocolSubscription,
} from '@samsa/codec';
import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from '@samsa/codec';

const NEWEST_KNOWN_VERSION = 3;

function header(r: Reader): number {
  const version = r.int16();
  if (!r.failed && version < 0) r.fail('bad-value', `negative consumer protocol version ${version}`);
  const err = r.error;
  if (err !== null) throw err;
  return version;
}

/** The assignment a leader sent in SyncGroup, decoded: `{ assignedPartitions: [{ topic, partitions }], userData }`. */
export function decodeMemberAssignment(bytes: Uint8Array): ConsumerProtocolAssignment & { version: number } {
  const r = new Reader(bytes, 'ConsumerProtocolAssignment');
  const version = header(r);
  const v = Math.min(version, NEWEST_KNOWN_VERSION);
  const a = readConsumerProtocolAssignment(r, v);
  const err = version > NEWEST_KNOWN_VERSION ? r.error : r.complete();
  if (err !== null) throw err;
  return { ...a, version };
}

/** A member's subscription (JoinGroup protocol metadata for protocol type "consumer"). */
export function decodeMemberSubscription(bytes: Uint8Array): ConsumerProtocolSubscription & { version: number } {
  const r = new Reader(bytes, 'ConsumerProtocolSubscription');
  const version = header(r);
  const v = Math.min(version, NEWEST_KNOWN_VERSION);
  const s = readConsumerProtocolSubscription(r, v);
  const err = version > NEWEST_KNOWN_VERSION ? r.error : r.complete();
  if (err !== null) throw err;
  return { ...s, version };
}

export function encodeMemberAssignment(a: ConsumerProtocolAssignment, version = 0): Uint8Array {
  const w = new Writer(2 + sizeConsumerProtocolAssignment(a, version));
  w.int16(version);
  writeConsumerProtocolAssignment(w, a, version);
  return w.finish();
}

export function encodeMemberSubscription(s: ConsumerProtocolSubscription, version = 0): Uint8Array {
  const w = new Writer(2 + sizeConsumerProtocolSubscription(s, version));
  w.int16(version);
  writeConsumerProtocolSubscription(w, s, version);
  return w.finish();
}

/** The topics a "consumer" protocol subscription names, or null if the bytes do not parse. */
export function subscribedTopicsOf(metadata: Uint8Array): string[] | null {
  try {
    return decodeMemberSubscription(metadata).topics;
  } catch {
    return null;
  }
}
