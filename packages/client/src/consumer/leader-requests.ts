/**
 * Partition requests routed to each partition's leader: the consumer's ListOffsets and
 * OffsetForLeaderEpoch (Fetch has its own loop, fetcher.ts). One request per leader
 * broker, sent concurrently; per partition the answer is a value or a KafkaClientError.
 *
 * - A partition whose leader the metadata does not know gets a retriable
 *   LEADER_NOT_AVAILABLE KafkaError (the caller refreshes metadata and backs off).
 * - A whole request that fails (lost connection, timeout) fails each of its partitions
 *   with that error; the other leaders' answers still count.
 * - ListOffsets: timestamp -2 earliest, -1 latest (the LSO under read_committed), else the
 *   first offset whose timestamp ≥ it; an answer of offset -1 (no such record) means
 *   "the end", as Java's offsetsForTimes → seek falls back to latest.
 * - OffsetForLeaderEpoch: for the position's epoch, where the leader says it ends;
 *   v2+ carries the metadata's current leader epoch so a stale leader is fenced.
 */
import { ErrorCode, ListOffsetsRequestCodec, ListOffsetsResponseCodec, OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from '@samsa/codec/wire';
import type { ListOffsetsRequest, OffsetForLeaderEpochRequest } from '@samsa/codec/wire';
import type { Cluster } from '../cluster/cluster.ts';
import { KafkaClientError, KafkaConnectionError, KafkaError } from '../errors.ts';
import type { IsolationLevel } from './consumer-options.ts';
import type { PartitionState } from './partition-states.ts';

export const LIST_OFFSETS_LATEST = -1;
export const LIST_OFFSETS_EARLIEST = -2;
const CONSUMER_REPLICA_ID = -1;
const listOffsetsApi = { request: ListOffsetsRequestCodec, response: ListOffsetsResponseCodec };
const offsetForLeaderEpochApi = { request: OffsetForLeaderEpochRequestCodec, response: OffsetForLeaderEpochResponseCodec };

export interface OffsetAndEpoch {
  readonly offset: number;
  readonly leaderEpoch: number;
}

export type PartitionOutcome<T> = T | KafkaClientError;

interface Routed<T> {
  readonly byLeader: Map<number, T[]>;
  readonly unrouted: T[];
}

function routeByLeader<T extends { readonly state: PartitionState }>(cluster: Cluster, items: readonly T[]): Routed<T> {
  const byLeader = new Map<number, T[]>();
  const unrouted: T[] = [];
  for (const item of items) {
    const leader = cluster.leaderFor(item.state.topic, item.state.partition);
    if (leader === undefined) unrouted.push(item);
    else byLeader.set(leader, [...(byLeader.get(leader) ?? []), item]);
  }
  return { byLeader, unrouted };
}

function byTopic<T extends { readonly state: PartitionState }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.state.topic, [...(out.get(item.state.topic) ?? []), item]);
  return out;
}

async function perLeader<T extends { readonly state: PartitionState }, R>(
  cluster: Cluster,
  items: readonly T[],
  send: (leader: number, items: T[]) => Promise<Map<string, PartitionOutcome<R>>>,
): Promise<Map<string, PartitionOutcome<R>>> {
  const out = new Map<string, PartitionOutcome<R>>();
  const { byLeader, unrouted } = routeByLeader(cluster, items);
  for (const item of unrouted) out.set(item.state.key, new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${item.state.topic}-${item.state.partition}: no known leader`));
  await Promise.all([...byLeader].map(async ([leader, group]) => {
    try {
      for (const [key, outcome] of await send(leader, group)) out.set(key, outcome);
    } catch (error) {
      const failure = error instanceof KafkaClientError ? error : new KafkaConnectionError(`node ${leader}`, String(error), { cause: error });
      for (const item of group) out.set(item.state.key, failure);
    }
  }));
  for (const item of items) if (!out.has(item.state.key)) out.set(item.state.key, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${item.state.topic}-${item.state.partition}: missing from the answer`));
  return out;
}

/** ListOffsets for each `(state, timestamp)` at its leader. */
export function listOffsets(
  cluster: Cluster,
  items: readonly { readonly state: PartitionState; readonly timestamp: number }[],
  isolationLevel: IsolationLevel,
  timeoutMs: number,
): Promise<Map<string, PartitionOutcome<OffsetAndEpoch>>> {
  return perLeader(cluster, items, async (leader, group) => {
    const connection = await cluster.connection(leader);
    const body: ListOffsetsRequest = {
      replicaId: CONSUMER_REPLICA_ID,
      isolationLevel: isolationLevel === 'read_committed' ? 1 : 0,
      topics: [...byTopic(group)].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.state.partition, currentLeaderEpoch: p.state.leaderEpoch, timestamp: p.timestamp, maxNumOffsets: 1 })),
      })),
      timeoutMs,
    };
    const response = await connection.request(listOffsetsApi, body);
    const out = new Map<string, PartitionOutcome<OffsetAndEpoch>>();
    for (const t of response.topics) {
      for (const p of t.partitions) {
        const state = group.find((g) => g.state.topic === t.name && g.state.partition === p.partitionIndex)?.state;
        if (state === undefined) continue;
        out.set(state.key, p.errorCode === ErrorCode.NONE ? { offset: p.offset, leaderEpoch: p.leaderEpoch } : new KafkaError(p.errorCode, `${t.name}-${p.partitionIndex}: ListOffsets`));
      }
    }
    return out;
  });
}

/** OffsetForLeaderEpoch for each state's `positionEpoch` at its leader. */
export function endOffsetsForEpochs(cluster: Cluster, states: readonly PartitionState[]): Promise<Map<string, PartitionOutcome<OffsetAndEpoch>>> {
  return perLeader(cluster, states.map((state) => ({ state })), async (leader, group) => {
    const connection = await cluster.connection(leader);
    const body: OffsetForLeaderEpochRequest = {
      replicaId: CONSUMER_REPLICA_ID,
      topics: [...byTopic(group)].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((p) => ({ partition: p.state.partition, currentLeaderEpoch: p.state.leaderEpoch, leaderEpoch: p.state.positionEpoch })),
      })),
    };
    const response = await connection.request(offsetForLeaderEpochApi, body);
    const out = new Map<string, PartitionOutcome<OffsetAndEpoch>>();
    for (const t of response.topics) {
      for (const p of t.partitions) {
        const state = group.find((g) => g.state.topic === t.topic && g.state.partition === p.partition)?.state;
        if (state === undefined) continue;
        out.set(state.key, p.errorCode === ErrorCode.NONE ? { offset: p.endOffset, leaderEpoch: p.leaderEpoch } : new KafkaError(p.errorCode, `${t.topic}-${p.partition}: OffsetForLeaderEpoch`));
      }
    }
    return out;
  });
}
