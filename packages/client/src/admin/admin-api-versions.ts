/**
 * The versions of each Kafka API the admin client speaks: [min, max], inclusive, merged
 * over the client's base table (CLIENT_API_VERSIONS) so one connection serves both.
 *
 * The max is the newest version the generated codec encodes. The min is the oldest whose
 * semantics the admin implements:
 * - Metadata v4: the first that can say "do not auto-create" (an admin must never create
 *   a topic by describing it).
 * - ListOffsets v1: one offset per partition (v0 answers a list of segment offsets).
 * - OffsetFetch v2 / OffsetCommit v2: offsets kept in Kafka (not ZooKeeper), "all topics" as
 *   null and a top-level error code (OffsetFetch), a retention (OffsetCommit).
 * Everything else from v0. Newer versions only add what the code reads when present
 * (topic ids, synonyms, group states and types, multi-group OffsetFetch at v8).
 */
import {
  AlterConfigsRequestCodec,
  ConsumerGroupDescribeRequestCodec,
  CreatePartitionsRequestCodec,
  CreateTopicsRequestCodec,
  DeleteGroupsRequestCodec,
  DeleteRecordsRequestCodec,
  DeleteTopicsRequestCodec,
  DescribeClusterRequestCodec,
  DescribeConfigsRequestCodec,
  DescribeGroupsRequestCodec,
  DescribeTopicPartitionsRequestCodec,
  FindCoordinatorRequestCodec,
  IncrementalAlterConfigsRequestCodec,
  ListGroupsRequestCodec,
  ListOffsetsRequestCodec,
  MetadataRequestCodec,
  OffsetCommitRequestCodec,
  OffsetDeleteRequestCodec,
  OffsetFetchRequestCodec,
} from '@samsa/codec/wire';
import type { MessageMeta } from '@samsa/codec/wire';
import { CLIENT_API_VERSIONS } from '../connection/client-api-versions.ts';
import type { VersionRange } from '../connection/client-api-versions.ts';

function entry(codec: { readonly meta: MessageMeta }, minVersion: number): [number, VersionRange] {
  return [codec.meta.apiKey, { minVersion, maxVersion: codec.meta.validVersions[1] }];
}

/** Keyed by Kafka API key, named through the codecs' metadata. */
export const ADMIN_ONLY_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  entry(MetadataRequestCodec, 4),
  entry(CreateTopicsRequestCodec, 0),
  entry(DeleteTopicsRequestCodec, 0),
  entry(CreatePartitionsRequestCodec, 0),
  entry(DescribeTopicPartitionsRequestCodec, 0),
  entry(DescribeConfigsRequestCodec, 0),
  entry(AlterConfigsRequestCodec, 0),
  entry(IncrementalAlterConfigsRequestCodec, 0),
  entry(FindCoordinatorRequestCodec, 0),
  entry(ListGroupsRequestCodec, 0),
  entry(DescribeGroupsRequestCodec, 0),
  entry(ConsumerGroupDescribeRequestCodec, 0),
  entry(DeleteGroupsRequestCodec, 0),
  entry(OffsetFetchRequestCodec, 2),
  entry(OffsetCommitRequestCodec, 2),
  entry(OffsetDeleteRequestCodec, 0),
  entry(DescribeClusterRequestCodec, 0),
  entry(DeleteRecordsRequestCodec, 0),
  entry(ListOffsetsRequestCodec, 1),
]);

/** The client's base table with the admin's ranges over it. */
export const ADMIN_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([...CLIENT_API_VERSIONS, ...ADMIN_ONLY_API_VERSIONS]);
