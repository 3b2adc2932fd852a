/**
 * Record administration at partition leaders: listOffsets (earliest, latest, max
 * timestamp, first offset at or after a timestamp) and deleteRecords (move the log start
 * offset forward). Each partition goes to its leader (partition-leaders.ts), one request
 * per leader; NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, LEADER_NOT_AVAILABLE … fetch the
 * metadata again and retry only the partitions they name.
 */
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec, ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '@samsa/codec/wire';
import type { ListOffsetsRequest } from '@samsa/codec/wire';
import { UnsupportedVersionError } from '../errors.ts';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { groupBy, outcomeOf } from './admin-context.ts';
import { partitionKey, perLeader, routeToLeaders } from './partition-leaders.ts';
import type { TopicPartition } from './partition-leaders.ts';
import type { ItemOutcome } from './retry.ts';

const listOffsetsApi = { request: ListOffsetsRequestCodec, response: ListOffsetsResponseCodec };
const deleteRecordsApi = { request: DeleteRecordsRequestCodec, response: DeleteRecordsResponseCodec };

/** Kafka's ListOffsets special timestamps. */
export const LIST_OFFSETS_LATEST_TIMESTAMP = -1;
export const LIST_OFFSETS_EARLIEST_TIMESTAMP = -2;
export const LIST_OFFSETS_MAX_TIMESTAMP = -3;
/** ListOffsets v7 is the first to know the max-timestamp spec (KIP-734). */
const MAX_TIMESTAMP_VERSION_MIN = 7;
/** DeleteRecords `beforeOffset` meaning "up to the high watermark". */
export const DELETE_RECORDS_HIGH_WATERMARK = -1;

/** Which offset to look up: the log start, the end, the record with the largest timestamp, or the first at/after `timestampMs`. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestampMs: number };

export interface ListOffsetsRequestItem extends TopicPartition {
  readonly spec: OffsetSpec;
}

export interface ListOffsetsOptions extends AdminCallOptions {
  /** read_committed stops 'latest' at the last stable offset. Default 'read_uncommitted'. */
  readonly isolationLevel?: 'read_uncommitted' | 'read_committed';
}

export interface ListedOffset extends TopicPartition {
  /** -1 when no record matches a timestamp spec. */
  readonly offset: number;
  /** The matched record's timestamp, -1 for earliest/latest. */
  readonly timestampMs: number;
  readonly leaderEpoch: number;
}

export interface DeleteRecordsItem extends TopicPartition {
  /** Records before this offset are deleted; -1 means up to the high watermark. */
  readonly beforeOffset: number;
}

export interface DeletedRecords extends TopicPartition {
  /** The partition's new log start offset. */
  readonly lowWatermark: number;
}

export interface DeleteRecordsOptions extends AdminCallOptions {
  /** The broker's wait for the deletion (default the admin's requestTimeoutMs). */
  readonly timeoutMs?: number;
}

function timestampOf(spec: OffsetSpec): number {
  if (spec === 'earliest') return LIST_OFFSETS_EARLIEST_TIMESTAMP;
  if (spec === 'latest') return LIST_OFFSETS_LATEST_TIMESTAMP;
  if (spec === 'max-timestamp') return LIST_OFFSETS_MAX_TIMESTAMP;
  if (!Number.isSafeInteger(spec.timestampMs) || spec.timestampMs < 0) throw new RangeError(`timestampMs must be a non-negative integer, got ${spec.timestampMs}`);
  return spec.timestampMs;
}

function byPartitionKey<T extends TopicPartition>(items: readonly T[], what: string): Map<string, T> {
  const byKey = new Map(items.map((i) => [partitionKey(i), i]));
  if (byKey.size !== items.length) throw new RangeError(`${what}: a partition is named twice`);
  return byKey;
}

/** Offsets of each partition per its spec, asked of the partition's leader; in the order asked. */
export async function listOffsets(ctx: AdminContext, items: readonly ListOffsetsRequestItem[], options: ListOffsetsOptions = {}): Promise<ListedOffset[]> {
  const byKey = byPartitionKey(items, 'listOffsets');
  for (const item of items) timestampOf(item.spec);
  const isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0;
  const done = await ctx.retrier.settleEach(
    [...byKey.keys()],
    async (pending) => {
      const route = await routeToLeaders(ctx, pending.map((k) => byKey.get(k)!), options.signal);
      return perLeader(route, async (nodeId, entries) => {
        const connection = await ctx.routing.connection(nodeId);
        const version = connection.versionOf(ListOffsetsRequestCodec.meta.apiKey) ?? 0;
        if (version < MAX_TIMESTAMP_VERSION_MIN && entries.some((e) => e.item.spec === 'max-timestamp')) {
          throw new UnsupportedVersionError(`listOffsets max-timestamp needs ListOffsets v${MAX_TIMESTAMP_VERSION_MIN}, the broker speaks v${version}`);
        }
        const body: ListOffsetsRequest = {
          replicaId: -1,
          isolationLevel,
          topics: [...groupBy(entries, (e) => e.item.topic)].map(([name, list]) => ({
            name,
            partitions: list.map((e) => ({ partitionIndex: e.item.partition, currentLeaderEpoch: e.leaderEpoch, timestamp: timestampOf(e.item.spec), maxNumOffsets: 1 })),
          })),
          timeoutMs: ctx.routing.brokerTimeoutMs,
        };
        const response = await ctx.routing.send(nodeId, listOffsetsApi, body, options);
        const out = new Map<string, ItemOutcome<ListedOffset>>();
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const key = partitionKey({ topic: t.name, partition: p.partitionIndex });
            out.set(key, outcomeOf(p.errorCode, null, `partition ${key}`, () => ({ topic: t.name, partition: p.partitionIndex, offset: p.offset, timestampMs: p.timestamp, leaderEpoch: p.leaderEpoch })));
          }
        }
        return out;
      });
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
  return items.map((i) => done.get(partitionKey(i))!);
}

/** Deletes records before each partition's `beforeOffset` at its leader; resolves with the new log start offsets. */
export async function deleteRecords(ctx: AdminContext, items: readonly DeleteRecordsItem[], options: DeleteRecordsOptions = {}): Promise<DeletedRecords[]> {
  const byKey = byPartitionKey(items, 'deleteRecords');
  const done = await ctx.retrier.settleEach(
    [...byKey.keys()],
    async (pending) => {
      const route = await routeToLeaders(ctx, pending.map((k) => byKey.get(k)!), options.signal);
      return perLeader(route, async (nodeId, entries) => {
        const response = await ctx.routing.send(nodeId, deleteRecordsApi, {
          topics: [...groupBy(entries, (e) => e.item.topic)].map(([name, list]) => ({ name, partitions: list.map((e) => ({ partitionIndex: e.item.partition, offset: e.item.beforeOffset })) })),
          timeoutMs: options.timeoutMs ?? ctx.routing.brokerTimeoutMs,
        }, options);
        const out = new Map<string, ItemOutcome<DeletedRecords>>();
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const key = partitionKey({ topic: t.name, partition: p.partitionIndex });
            out.set(key, outcomeOf(p.errorCode, null, `partition ${key}`, () => ({ topic: t.name, partition: p.partitionIndex, lowWatermark: p.lowWatermark })));
          }
        }
        return out;
      });
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
  return items.map((i) => done.get(partitionKey(i))!);
}
