/**
 * The versions of each Kafka API the consumer speaks: [min, max], inclusive, merged over
 * the client's base table (CLIENT_API_VERSIONS) so one connection serves both.
 *
 * The max is the newest version the generated codec encodes (negotiation then takes
 * min(client max, broker max)). The min is the oldest whose semantics the consumer
 * implements:
 * - Fetch v4: the first with `isolation_level`, `last_stable_offset` and aborted
 *   transactions (KIP-98); older answers carry legacy message sets this consumer does not read.
 * - ListOffsets v1: one offset per partition (v0 answers a list of segment offsets).
 * - OffsetCommit v2 / OffsetFetch v1: offsets kept in Kafka with a retention.
 * - Everything else from v0. Newer versions add what the code reads when present:
 *   Fetch v9+ current leader epoch, v12+ diverging epoch (KIP-320), v13+ topic ids;
 *   JoinGroup v4+ MEMBER_ID_REQUIRED, v5+ static membership (KIP-345); OffsetFetch v8+
 *   the multi-group form; OffsetForLeaderEpoch v2+ current leader epoch, v3+ replica id.
 */
import {
  FetchRequestCodec,
  FindCoordinatorRequestCodec,
  HeartbeatRequestCodec,
  JoinGroupRequestCodec,
  LeaveGroupRequestCodec,
  ListOffsetsRequestCodec,
  OffsetCommitRequestCodec,
  OffsetFetchRequestCodec,
  OffsetForLeaderEpochRequestCodec,
  SyncGroupRequestCodec,
} from '@samsa/codec/wire';
import type { MessageMeta } from '@samsa/codec/wire';
import { CLIENT_API_VERSIONS } from '../connection/client-api-versions.ts';
import type { VersionRange } from '../connection/client-api-versions.ts';

function entry(codec: { readonly meta: MessageMeta }, minVersion: number): [number, VersionRange] {
  return [codec.meta.apiKey, { minVersion, maxVersion: codec.meta.validVersions[1] }];
}

/** Keyed by Kafka API key, named through the codecs' metadata. */
export const CONSUMER_ONLY_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  entry(FetchRequestCodec, 4),
  entry(ListOffsetsRequestCodec, 1),
  entry(OffsetForLeaderEpochRequestCodec, 0),
  entry(FindCoordinatorRequestCodec, 0),
  entry(JoinGroupRequestCodec, 0),
  entry(SyncGroupRequestCodec, 0),
  entry(HeartbeatRequestCodec, 0),
  entry(LeaveGroupRequestCodec, 0),
  entry(OffsetCommitRequestCodec, 2),
  entry(OffsetFetchRequestCodec, 1),
]);

/** The client's base table with the consumer's ranges over it. */
export const CONSUMER_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([...CLIENT_API_VERSIONS, ...CONSUMER_ONLY_API_VERSIONS]);
