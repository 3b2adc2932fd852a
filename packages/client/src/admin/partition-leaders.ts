/**
 * Partition routing for ListOffsets and DeleteRecords: one Metadata request for exactly
 * the topics involved (never auto-creating), then each partition under its leader.
 * A topic or partition the cluster does not have is a final UNKNOWN_TOPIC_OR_PARTITION;
 * a partition without a leader is LEADER_NOT_AVAILABLE, retried after a refresh.
 *
 * Partitions are keyed `topic:partition` (':' is not legal in a Kafka topic name).
 */
import { ErrorCode } from '@samsa/codec/wire';
import { KafkaClientError, KafkaError } from '../errors.ts';
import type { AdminContext } from './admin-context.ts';
import { failed } from './retry.ts';
import type { ItemOutcome } from './retry.ts';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

export interface LeaderRoute<T extends TopicPartition> {
  /** Leader id → its partitions (with the leader epoch the metadata gave). */
  readonly byLeader: Map<number, { readonly item: T; readonly leaderEpoch: number }[]>;
  /** Partitions that could not be routed, by key. */
  readonly failures: Map<string, ItemOutcome<never>>;
}

/** Routes `items` (pending keys of `byKey`) to their leaders from fresh metadata. */
export async function routeToLeaders<T extends TopicPartition>(ctx: AdminContext, items: readonly T[], signal: AbortSignal | undefined): Promise<LeaderRoute<T>> {
  const topics = [...new Set(items.map((i) => i.topic))];
  const metadata = await ctx.routing.metadata(topics, signal);
  const byLeader = new Map<number, { item: T; leaderEpoch: number }[]>();
  const failures = new Map<string, ItemOutcome<never>>();
  for (const item of items) {
    const key = partitionKey(item);
    const topic = metadata.topics.find((t) => t.name === item.topic);
    if (topic === undefined || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      failures.set(key, failed(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${item.topic}`), true));
      continue;
    }
    if (topic.errorCode !== ErrorCode.NONE) {
      failures.set(key, failed(new KafkaError(topic.errorCode, `topic ${item.topic}`)));
      continue;
    }
    const p = topic.partitions.find((x) => x.partitionIndex === item.partition);
    if (p === undefined) {
      failures.set(key, failed(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${key}`), true));
    } else if (p.leaderId < 0) {
      failures.set(key, failed(new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${key}`)));
    } else {
      const list = byLeader.get(p.leaderId) ?? [];
      list.push({ item, leaderEpoch: p.leaderEpoch });
      byLeader.set(p.leaderId, list);
    }
  }
  return { byLeader, failures };
}

/**
 * Sends one request per leader (in parallel) and merges the answers; a leader whose
 * request failed answers each of its partitions with that error (retried as it says).
 */
export async function perLeader<T extends TopicPartition, R>(
  route: LeaderRoute<T>,
  send: (nodeId: number, entries: readonly { readonly item: T; readonly leaderEpoch: number }[]) => Promise<Map<string, ItemOutcome<R>>>,
): Promise<Map<string, ItemOutcome<R>>> {
  const out = new Map<string, ItemOutcome<R>>(route.failures);
  await Promise.all(
    [...route.byLeader].map(async ([nodeId, entries]) => {
      try {
        for (const [k, v] of await send(nodeId, entries)) out.set(k, v);
      } catch (error) {
        if (!(error instanceof KafkaClientError)) throw error;
        for (const e of entries) out.set(partitionKey(e.item), failed(error));
      }
    }),
  );
  return out;
}
