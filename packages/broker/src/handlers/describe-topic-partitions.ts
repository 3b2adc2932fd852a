/**
 * DescribeTopicPartitions (key 75), version 0 (flexible; KIP-966). Metadata in pages, for
 * clusters whose topics hold more partitions than one Metadata answer should carry
 * (Admin.describeTopics uses it when the broker serves it).
 *
 * The topics asked for (every topic when the list is empty), each once, sorted by name
 * (UTF-16 code units, as Java's String.compareTo), from the cursor's topic on; the
 * cursor's topic starts at the cursor's partition, every later one at partition 0. At
 * most `responsePartitionLimit` partitions are answered, clamped to
 * [1, RESPONSE_PARTITIONS_MAX] (Kafka clamps to max.request.partition.size.limit, 2000,
 * but not from below: a limit of 0 would answer nothing and point the cursor back where it
 * was, forever). When the limit stops the answer, `nextCursor` names the first partition
 * left out (inside a topic: that topic and partition; at a topic's start: that topic and
 * 0, which may be an unknown topic named in the request); null when everything was
 * answered. A topic cut by the limit is answered with the partitions that fit; one that
 * gets none is left for the next page. Following `nextCursor` until it is null yields
 * every partition exactly once, in order (as long as the topics do not change meanwhile).
 *
 * Per partition, exactly what Metadata answers (handlers/metadata.ts, reused): leader,
 * leader epoch, replicas, ISR and offline replicas (single broker: this node, or a log
 * taken offline by a storage error; cluster: the current view), plus the KIP-966 fields
 * eligibleLeaderReplicas and lastKnownElr, always empty (Samsa has no ELR). Per topic: its
 * id, isInternal, and topicAuthorizedOperations — every topic operation, always (this
 * version has no "include" flag and Kafka fills it for every topic it answers, error
 * topics included; there is no authorizer: authorized-operations.ts).
 *
 * Errors, as Kafka's DescribeTopicPartitionsRequestHandler: a named topic that does not
 * exist → UNKNOWN_TOPIC_OR_PARTITION, one whose name is not a legal topic name →
 * INVALID_TOPIC_EXCEPTION (zero topic id, no partitions; they use none of the limit);
 * with the all-topics form no error topics appear. A cursor whose topic is not in a
 * non-empty topic list, or (Samsa's rule; Kafka does not check) a negative cursor
 * partition, is INVALID_REQUEST: every topic asked for (or the cursor's, asking for all)
 * answered with that error and nothing else.
 */
import { DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec, ErrorCode, ZERO_UUID } from '@samsa/codec';
import type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition as PartitionAnswer, DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicAnswer } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { INTERNAL_TOPICS, topicNameProblem } from '../topics/topic-name.ts';
import { defineHandler } from './api-handler.ts';
import { TOPIC_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';
import { clusterPartitionMetadata, localPartitionMetadata } from './metadata.ts';

/** Kafka's max.request.partition.size.limit default: the most partitions one answer carries. */
export const RESPONSE_PARTITIONS_MAX = 2000;

/** A topic as this broker sees it: its id and a page of its partitions as Metadata answers them. */
interface KnownTopic {
  readonly topicId: string;
  readonly partitionCount: number;
  /** Partitions [from, to) as Metadata answers them (0 ≤ from ≤ to ≤ partitionCount). */
  page(from: number, to: number): PartitionAnswer[];
}

/** Where topics come from: the cluster view in a cluster, the registry on a single broker. */
interface TopicSource {
  names(): string[];
  find(name: string): KnownTopic | undefined;
}

function withoutElr(p: Omit<PartitionAnswer, 'eligibleLeaderReplicas' | 'lastKnownElr'>): PartitionAnswer {
  return { ...p, eligibleLeaderReplicas: [], lastKnownElr: [] };
}

function topicSource(ctx: BrokerContext): TopicSource {
  const view = ctx.cluster?.view() ?? null;
  if (view !== null) {
    return {
      names: () => [...view.topics.keys()],
      find(name) {
        const t = view.topics.get(name);
        if (t === undefined) return undefined;
        return { topicId: t.topicId, partitionCount: t.partitions.length, page: (from, to) => t.partitions.slice(from, to).map((p) => withoutElr(clusterPartitionMetadata(view, p))) };
      },
    };
  }
  return {
    names: () => [...ctx.registry.topics()].map((t) => t.record.name),
    find(name) {
      const t = ctx.registry.topic(name);
      if (t === undefined) return undefined;
      return {
        topicId: t.record.topicId,
        partitionCount: t.partitions.length,
        page(from, to) {
          return t.partitions.slice(from, to).map((p, i) => {
            // A single broker's topic holds partitions 0..n-1 in order.
            if (p.index !== from + i) throw new Error(`partition ${t.record.name}-${p.index} at position ${from + i}`);
            return withoutElr(localPartitionMetadata(ctx, p));
          });
        },
      };
    },
  };
}

function errorTopic(name: string, errorCode: number): TopicAnswer {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: INTERNAL_TOPICS.has(name), partitions: [], topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS };
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The request's problem (the cursor), or null. */
function requestProblem(req: DescribeTopicPartitionsRequest): string | null {
  const cursor = req.cursor;
  if (cursor === null) return null;
  if (cursor.partitionIndex < 0) return `cursor partition ${cursor.partitionIndex} is negative`;
  if (req.topics.length > 0 && !req.topics.some((t) => t.name === cursor.topicName)) return `the topic list should contain the cursor topic ${cursor.topicName}`;
  return null;
}

function handleDescribeTopicPartitions(ctx: BrokerContext, req: DescribeTopicPartitionsRequest): DescribeTopicPartitionsResponse {
  const problem = requestProblem(req);
  if (problem !== null) {
    ctx.logger.debug({ problem }, 'DescribeTopicPartitions: invalid request');
    const names = req.topics.length > 0 ? req.topics.map((t) => t.name) : [req.cursor?.topicName ?? ''];
    return { throttleTimeMs: 0, topics: [...new Set(names)].map((name) => errorTopic(name, ErrorCode.INVALID_REQUEST)), nextCursor: null };
  }
  const source = topicSource(ctx);
  const all = req.topics.length === 0;
  const start = req.cursor ?? { topicName: '', partitionIndex: 0 };
  const names = [...new Set(all ? source.names() : req.topics.map((t) => t.name))].filter((n) => n >= start.topicName).sort(byName);
  let remaining = Math.min(Math.max(req.responsePartitionLimit, 1), RESPONSE_PARTITIONS_MAX);
  const topics: TopicAnswer[] = [];
  for (const name of names) {
    // The limit is used up: the page ends before this topic (known or not, as Kafka).
    if (remaining === 0) return { throttleTimeMs: 0, topics, nextCursor: { topicName: name, partitionIndex: 0 } };
    const known = source.find(name);
    if (known === undefined) {
      if (!all) topics.push(errorTopic(name, topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION));
      continue;
    }
    const from = Math.min(name === start.topicName ? start.partitionIndex : 0, known.partitionCount);
    const to = Math.min(known.partitionCount, from + remaining);
    const partitions = known.page(from, to);
    topics.push({ errorCode: ErrorCode.NONE, name, topicId: known.topicId, isInternal: INTERNAL_TOPICS.has(name), partitions, topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS });
    if (to < known.partitionCount) return { throttleTimeMs: 0, topics, nextCursor: { topicName: name, partitionIndex: to } };
    remaining -= partitions.length;
  }
  return { throttleTimeMs: 0, topics, nextCursor: null };
}

export const describeTopicPartitionsHandler = defineHandler({
  apiKey: DescribeTopicPartitionsRequestCodec.meta.apiKey,
  name: DescribeTopicPartitionsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeTopicPartitionsRequestCodec,
  response: DescribeTopicPartitionsResponseCodec,
  handle: handleDescribeTopicPartitions,
});
