/**
 * DeleteTopics (key 20), versions 0-6.
 *
 * v0-5 name topics; v6 names them or gives topic ids (name null). Unknown name →
 * UNKNOWN_TOPIC_OR_PARTITION, unknown id → UNKNOWN_TOPIC_ID, `delete.topic.enable=false`
 * → TOPIC_DELETION_DISABLED. Deletion persists the metadata first, then closes and
 * removes the partition logs (see topic-registry.ts). v5+ carries error messages.
 * Internal topics (`__consumer_offsets`) hold the coordinators' state and are never
 * deleted: INVALID_TOPIC_EXCEPTION (by name or by id).
 * Deletion works on a full disk (it is how space is freed): while the log dir is low on
 * space the files go before the answer, not after the delete delay; a storage failure
 * answers KAFKA_STORAGE_ERROR with a message (topic-registry.ts), never a closed connection.
 *
 * In a cluster (`ctx.cluster` set) names and ids are looked up in this broker's view and
 * the controller deletes (ctx.cluster.controller, local or forwarded; each broker removes
 * its replicas when its view drops the topic). The answer waits (at most `timeout_ms`,
 * capped) until this broker's view no longer shows that topic id, else REQUEST_TIMED_OUT
 * (the deletion still happens). A forwarded request at a broker that is not the
 * controller → NOT_CONTROLLER.
 * One that reaches the controller is answered as soon as the controller replied: the
 * forwarding broker does the waiting, for its own view.
 */
import { DeleteTopicsRequestCodec, DeleteTopicsResponseCodec, ErrorCode, ZERO_UUID } from '@samsa/codec';
import type { DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import { refuseForwarded, replyError } from '../cluster/controller-client-handlers.ts';
import { notSeenMessage, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { INTERNAL_TOPICS } from '../topics/topic-name.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleDeleteTopics(ctx: BrokerContext, req: DeleteTopicsRequest, info: RequestInfo): Promise<DeleteTopicsResponse> {
  if (ctx.cluster) return handleInCluster(ctx.cluster, ctx, req, info);
  const v = info.apiVersion;
  const wanted = wantedTopics(req, v);
  const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
  for (const w of wanted) {
    const topic = w.name !== null ? ctx.registry.topic(w.name) : ctx.registry.topicById(w.topicId);
    if (!topic) {
      responses.push(unknownTopic(w, v));
      continue;
    }
    const name = topic.record.name;
    const topicId = topic.record.topicId;
    if (INTERNAL_TOPICS.has(name)) {
      responses.push({
        name,
        topicId: v >= 6 ? topicId : ZERO_UUID,
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
        errorMessage: v >= 5 ? `Internal topic ${name} cannot be deleted.` : null,
      });
      continue;
    }
    const lowOnSpace = await ctx.freeSpace.isLowOnSpace();
    const result = await ctx.registry.deleteTopic(name, { immediately: lowOnSpace });
    // The space is free now: the next produce need not wait for the check interval.
    if (lowOnSpace) await ctx.freeSpace.refresh();
    responses.push({
      name,
      topicId: v >= 6 ? topicId : ZERO_UUID,
      errorCode: result.errorCode,
      errorMessage: v >= 5 ? result.errorMessage : null,
    });
  }
  return { throttleTimeMs: 0, responses };
}

function wantedTopics(req: DeleteTopicsRequest, v: number): Array<{ name: string | null; topicId: string }> {
  return v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

function unknownTopic(w: { name: string | null; topicId: string }, v: number): DeleteTopicsResponseDeletableTopicResult {
  const byId = w.name === null;
  return {
    name: w.name,
    topicId: w.topicId,
    errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    errorMessage: v >= 5 ? (byId ? 'This server does not host this topic ID.' : 'This server does not host this topic-partition.') : null,
  };
}

async function handleInCluster(cluster: ClusterLink, ctx: BrokerContext, req: DeleteTopicsRequest, info: RequestInfo): Promise<DeleteTopicsResponse> {
  const v = info.apiVersion;
  const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
  for (const w of wantedTopics(req, v)) {
    // First, before any judgement from a view that may be stale: a forward goes no further.
    const refused = refuseForwarded(cluster, info);
    if (refused) {
      responses.push({ name: w.name, topicId: w.topicId, errorCode: refused.errorCode, errorMessage: v >= 5 ? refused.errorMessage : null });
      continue;
    }
    const view = cluster.view();
    const topic = w.name !== null ? view.topics.get(w.name) : view.topicsById.get(w.topicId);
    if (!topic) {
      responses.push(unknownTopic(w, v));
      continue;
    }
    const { name, topicId } = topic;
    const answer = (e: { errorCode: number; errorMessage: string | null }) =>
      responses.push({ name, topicId: v >= 6 ? topicId : ZERO_UUID, errorCode: e.errorCode, errorMessage: v >= 5 ? e.errorMessage : null });
    if (INTERNAL_TOPICS.has(name)) {
      answer({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Internal topic ${name} cannot be deleted.` });
      continue;
    }
    if (!ctx.server.deleteTopicEnable) {
      answer({ errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' });
      continue;
    }
    const reply = await cluster.controller.deleteTopic(name);
    if (!reply.ok) {
      answer(replyError(reply));
      continue;
    }
    const waitMs = viewWaitMs(info, req.timeoutMs);
    const gone = await waitForView(cluster, ctx.clock, (view) => !view.topicsById.has(topicId), waitMs);
    answer(gone || waitMs === 0 ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: notSeenMessage(`topic ${name} deleted`, waitMs) });
  }
  return { throttleTimeMs: 0, responses };
}

export const deleteTopicsHandler = defineHandler({
  apiKey: DeleteTopicsRequestCodec.meta.apiKey,
  name: DeleteTopicsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 6,
  request: DeleteTopicsRequestCodec,
  response: DeleteTopicsResponseCodec,
  handle: handleDeleteTopics,
});
