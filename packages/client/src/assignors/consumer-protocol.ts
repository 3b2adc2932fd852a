/**
 * The "consumer" protocol payloads a classic group carries opaquely: a member's
 * subscription (JoinGroup protocol metadata) and assignment (SyncGroup). Both are an int16
 * version followed by the body, big-endian, Kafka's non-flexible encoding (generated codecs
 * `ConsumerProtocolSubscription` / `ConsumerProtocolAssignment` in @samsa/codec):
 *
 *   Subscription v0-v3
 *     int16  version
 *     int32  topic count, then per topic: int16 length + UTF-8 name
 *     int32  userData length (-1 = null), then the bytes
 *     v1+    int32 owned topic count, per topic: string name, int32 count, int32 partitions
 *     v2+    int32 generationId (-1 = none)
 *     v3+    int16 rackId length (-1 = null), then UTF-8
 *
 *   Assignment v0-v3 (one layout for all four)
 *     int16  version
 *     int32  topic count, per topic: string name, int32 count, int32 partitions
 *     int32  userData length (-1 = null), then the bytes
 *
 * Decoding follows Java's `ConsumerProtocol`: a version newer than 3 is read as v3 and the
 * bytes it appends are ignored (newer versions only append fields). We write v3 by default,
 * as Java 3.x does. Malformed bytes throw @samsa/codec's DecodeError.
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
} from '@samsa/codec/wire';
import type { ConsumerProtocolSubscription } from '@samsa/codec/wire';
import type { MemberSubscription } from './assignor.ts';

/** The newest version we read and write; Kafka 3.x/4.x use 3 for both payloads. */
export const CONSUMER_PROTOCOL_VERSION_LATEST = 3;

/** A decoded assignment: topic → partitions (wire order), userData, the version read. */
export interface MemberAssignment {
  readonly partitions: Map<string, number[]>;
  readonly userData: Uint8Array | null;
  readonly version: number;
}

export function encodeSubscription(s: MemberSubscription, version = CONSUMER_PROTOCOL_VERSION_LATEST): Uint8Array {
  assertVersion(version);
  const body: ConsumerProtocolSubscription = {
    topics: [...s.topics],
    userData: s.userData ?? null,
    ownedPartitions: version >= 1 ? s.ownedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })) : [],
    generationId: s.generationId ?? -1,
    rackId: s.rackId ?? null,
  };
  const w = new Writer(2 + sizeConsumerProtocolSubscription(body, version));
  w.int16(version);
  writeConsumerProtocolSubscription(w, body, version);
  return w.finish();
}

export function decodeSubscription(bytes: Uint8Array): MemberSubscription & { readonly version: number } {
  const r = new Reader(bytes, 'ConsumerProtocolSubscription');
  const version = readVersion(r);
  const s = readConsumerProtocolSubscription(r, Math.min(version, CONSUMER_PROTOCOL_VERSION_LATEST));
  throwIfFailed(r, version);
  return { topics: s.topics, userData: s.userData, ownedPartitions: s.ownedPartitions, generationId: s.generationId, rackId: s.rackId, version };
}

/** Encodes one member's assignment; topics in the map's order, partitions as given. */
export function encodeAssignment(
  partitions: ReadonlyMap<string, readonly number[]>,
  userData: Uint8Array | null = null,
  version = CONSUMER_PROTOCOL_VERSION_LATEST,
): Uint8Array {
  assertVersion(version);
  const body = { assignedPartitions: [...partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] })), userData };
  const w = new Writer(2 + sizeConsumerProtocolAssignment(body, version));
  w.int16(version);
  writeConsumerProtocolAssignment(w, body, version);
  return w.finish();
}

/**
 * Decodes a SyncGroup assignment. An empty payload (a member the leader gave nothing, as
 * some clients send) decodes to an empty assignment, as Java's consumer treats it.
 */
export function decodeAssignment(bytes: Uint8Array): MemberAssignment {
  if (bytes.length === 0) return { partitions: new Map(), userData: null, version: 0 };
  const r = new Reader(bytes, 'ConsumerProtocolAssignment');
  const version = readVersion(r);
  const a = readConsumerProtocolAssignment(r, Math.min(version, CONSUMER_PROTOCOL_VERSION_LATEST));
  throwIfFailed(r, version);
  const partitions = new Map<string, number[]>();
  for (const tp of a.assignedPartitions) partitions.set(tp.topic, [...(partitions.get(tp.topic) ?? []), ...tp.partitions]);
  return { partitions, userData: a.userData, version };
}

function readVersion(r: Reader): number {
  const version = r.int16();
  if (!r.failed && version < 0) r.fail('bad-value', `negative consumer protocol version ${version}`);
  const err = r.error;
  if (err !== null) throw err;
  return version;
}

/** Past the newest known version trailing bytes are the newer fields: only a failure counts. */
function throwIfFailed(r: Reader, version: number): void {
  const err = version > CONSUMER_PROTOCOL_VERSION_LATEST ? r.error : r.complete();
  if (err !== null) throw err;
}

function assertVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_VERSION_LATEST) {
    throw new RangeError(`consumer protocol version ${version} is not one of 0-${CONSUMER_PROTOCOL_VERSION_LATEST}`);
  }
}
