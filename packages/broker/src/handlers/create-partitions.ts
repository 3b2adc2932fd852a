/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Grows a topic to `count` partitions (never shrinks: INVALID_PARTITIONS). Manual
 * assignments must put each new partition on this node alone, else
 * INVALID_REPLICA_ASSIGNMENT. The same topic twice in a request → INVALID_REQUEST.
 * validate_only checks and changes nothing. Internal topics keep the partition count
 * the coordinator hashes group ids over (`offsets.topic.num.partitions`): growing one →
 * INVALID_TOPIC_EXCEPTION. While the log dir is low on space (free-space-guard.ts), or
 * when the new logs cannot be created → KAFKA_STORAGE_ERROR (nothing changed).
 *
 * In a cluster (`ctx.cluster` set) the same checks run against this broker's view; manual
 * assignments need one replica list per new partition (their brokers are the controller's
 * to check) and the controller adds the partitions (ctx.cluster.controller, local or
 * forwarded). The answer waits (at most `timeout_ms`, capped) until this broker's view
 * shows the new count, else REQUEST_TIMED_OUT (the partitions still come). A forwarded
 * request at a broker that is not the controller → NOT_CONTROLLER.
 * One that reaches the controller is answered as soon as the controller replied: the
 * forwarding broker does the waiting, for its own view.
 */
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec, ErrorCode } from '@samsa/codec';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsResponseCreatePartitionsTopicResult } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import { refuseForwarded, replyError } from '../cluster/controller-client-handlers.ts';
import { notSeenMessage, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { PARTITIONS_PER_TOPIC_MAX } from '../topics/topic-registry.ts';
import { INTERNAL_TOPICS } from '../topics/topic-name.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleCreatePartitions(ctx: BrokerContext, req: CreatePartitionsRequest, info: RequestInfo): Promise<CreatePartitionsResponse> {
  if (ctx.cluster) return handleInCluster(ctx, ctx.cluster, req, info);
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = [];
  for (const t of req.topics) {
    const fail = (errorCode: number, errorMessage: string | null) => results.push({ name: t.name, errorCode, errorMessage });
    if ((counts.get(t.name) ?? 0) > 1) {
      fail(ErrorCode.INVALID_REQUEST, `Duplicate topic ${t.name} in the request.`);
      continue;
    }
    if (INTERNAL_TOPICS.has(t.name)) {
      fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot add partitions to internal topic ${t.name}.`);
      continue;
    }
    const check = ctx.registry.checkCreatePartitions(t.name, t.count);
    if (check.errorCode !== ErrorCode.NONE) {
      fail(check.errorCode, check.errorMessage);
      continue;
    }
    const current = ctx.registry.topic(t.name)!.partitions.length;
    if (t.assignments !== null) {
      const bad = t.assignments.length !== t.count - current || t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId);
      if (bad) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Assignments must give each of the ${t.count - current} new partitions broker ${ctx.nodeId} alone.`);
        continue;
      }
    }
    if (req.validateOnly) {
      fail(ErrorCode.NONE, null);
      continue;
    }
    if (!(await ctx.freeSpace.admitsWrites())) {
      fail(ErrorCode.KAFKA_STORAGE_ERROR, ctx.freeSpace.refusalMessage());
      continue;
    }
    const done = await ctx.registry.createPartitions(t.name, t.count);
    fail(done.errorCode, done.errorMessage);
  }
  return { throttleTimeMs: 0, results };
}

type Topic = CreatePartitionsRequest['topics'][number];

/** The view-side checks of one topic: an error, or the current count. */
function checkInCluster(cluster: ClusterLink, t: Topic): { errorCode: number; errorMessage: string } | { current: number } {
  if (INTERNAL_TOPICS.has(t.name)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Cannot add partitions to internal topic ${t.name}.` };
  const topic = cluster.view().topics.get(t.name);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${t.name}' does not exist.` };
  const current = topic.partitions.length;
  if (t.count < current) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.` };
  if (t.count === current) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic already has ${current} partitions.` };
  if (t.count > PARTITIONS_PER_TOPIC_MAX) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.` };
  if (t.assignments !== null && t.assignments.length !== t.count - current) {
    return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `${t.assignments.length} replica lists given for ${t.count - current} new partitions.` };
  }
  return { current };
}

async function handleInCluster(ctx: BrokerContext, cluster: ClusterLink, req: CreatePartitionsRequest, info: RequestInfo): Promise<CreatePartitionsResponse> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = [];
  for (const t of req.topics) {
    const answer = (e: { errorCode: number; errorMessage: string | null }) => results.push({ name: t.name, errorCode: e.errorCode, errorMessage: e.errorMessage });
    if ((counts.get(t.name) ?? 0) > 1) {
      answer({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Duplicate topic ${t.name} in the request.` });
      continue;
    }
    // First, before any judgement from a view that may be stale: a forward goes no further.
    const refused = refuseForwarded(cluster, info);
    if (refused) {
      answer(refused);
      continue;
    }
    const check = checkInCluster(cluster, t);
    if ('errorCode' in check) {
      answer(check);
      continue;
    }
    if (req.validateOnly) {
      answer({ errorCode: ErrorCode.NONE, errorMessage: null });
      continue;
    }
    const reply = await cluster.controller.createPartitions({ topic: t.name, totalCount: t.count, assignment: t.assignments ? t.assignments.map((a) => [...a.brokerIds]) : null });
    if (!reply.ok) {
      answer(replyError(reply));
      continue;
    }
    const waitMs = viewWaitMs(info, req.timeoutMs);
    const seen = await waitForView(cluster, ctx.clock, (view) => (view.topics.get(t.name)?.partitions.length ?? 0) >= t.count, waitMs);
    answer(seen || waitMs === 0 ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: notSeenMessage(`topic ${t.name} grown to ${t.count} partitions`, waitMs) });
  }
  return { throttleTimeMs: 0, results };
}

export const createPartitionsHandler = defineHandler({
  apiKey: CreatePartitionsRequestCodec.meta.apiKey,
  name: CreatePartitionsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequestCodec,
  response: CreatePartitionsResponseCodec,
  handle: handleCreatePartitions,
});
