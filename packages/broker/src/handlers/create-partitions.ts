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
 */
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec, ErrorCode } from '@samsa/codec';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsResponseCreatePartitionsTopicResult } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { INTERNAL_TOPICS } from '../topics/topic-name.ts';
import { defineHandler } from './api-handler.ts';

async function handleCreatePartitions(ctx: BrokerContext, req: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
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

export const createPartitionsHandler = defineHandler({
  apiKey: CreatePartitionsRequestCodec.meta.apiKey,
  name: CreatePartitionsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequestCodec,
  response: CreatePartitionsResponseCodec,
  handle: handleCreatePartitions,
});
