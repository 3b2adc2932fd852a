/**
 * DescribeLogDirs (key 35), versions 0-4 (flexible from 2; v3 adds the top-level error
 * code, v4 the volume's total and usable bytes).
 *
 * Samsa stores every partition in the first log dir (`log.dirs[0]`), so the answer has
 * exactly one result, that dir (as configured). It lists each requested topic-partition
 * (every one when `topics` is null) that has a LOCAL replica here: on a single broker
 * every partition, in a cluster the registry's local replicas, led or followed. A
 * partition without a local replica (unknown topic, another broker's, a number out of
 * range) is simply absent, as in Kafka. Duplicates in the request are answered once.
 *
 * Per partition: `partitionSize` = the log's size in bytes; `offsetLag` = max(0, high
 * watermark − log end offset), the spec's "lag w.r.t. the partition's HW": on a follower
 * the leader's HW from its latest fetch answer (`Partition.leaderHighWatermark`), so a
 * follower behind its leader shows how far; on a leader its own HW (0: a log's HW never
 * passes its own end; Kafka's getLogEndOffsetLag is always 0 for that reason); `isFutureKey` false (Samsa has no future logs:
 * no AlterReplicaLogDirs). v4: `totalBytes` / `usableBytes` of the dir's file system from
 * the free-space guard (read afresh for the request), -1 when the runtime cannot tell.
 *
 * Errors: Samsa takes single logs offline (a storage error), not the whole dir. When any
 * local log asked for is offline the dir's result carries KAFKA_STORAGE_ERROR and lists the logs
 * still online (the offline ones are absent, having no usable replica here); otherwise
 * NONE. The top-level error code (v3+) is always NONE (no authorization).
 */
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse, DescribeLogDirsResponseDescribeLogDirsPartition, DescribeLogDirsResponseDescribeLogDirsTopic } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../partitions/partition.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

/** The local replicas asked for, grouped by topic in request order (all when `topics` is null). */
function requestedReplicas(ctx: BrokerContext, topics: DescribeLogDirsRequest['topics']): Map<string, Partition[]> {
  const out = new Map<string, Partition[]>();
  if (topics === null) {
    for (const t of ctx.registry.topics()) if (t.partitions.length > 0) out.set(t.record.name, [...t.partitions]);
    return out;
  }
  const seen = new Set<string>();
  for (const t of topics) {
    for (const index of t.partitions) {
      const key = `${t.topic}\u0000${index}`;
      const p = ctx.registry.partition(t.topic, index);
      if (!p || seen.has(key)) continue;
      seen.add(key);
      const list = out.get(t.topic) ?? [];
      list.push(p);
      out.set(t.topic, list);
    }
  }
  return out;
}

function describePartition(p: Partition): DescribeLogDirsResponseDescribeLogDirsPartition {
  const log = p.log;
  return { partitionIndex: p.index, partitionSize: log.sizeBytes, offsetLag: Math.max(0, (p.leaderHighWatermark ?? log.highWatermark) - log.logEndOffset), isFutureKey: false };
}

async function handleDescribeLogDirs(ctx: BrokerContext, req: DescribeLogDirsRequest, info: RequestInfo): Promise<DescribeLogDirsResponse> {
  let anyOffline = false;
  const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = [];
  for (const [name, replicas] of requestedReplicas(ctx, req.topics)) {
    const online = replicas.filter((p) => !p.log.isOffline);
    if (online.length < replicas.length) anyOffline = true;
    if (online.length > 0) topics.push({ name, partitions: online.map(describePartition) });
  }
  let totalBytes = -1;
  let usableBytes = -1;
  if (info.apiVersion >= 4) {
    await ctx.freeSpace.refresh();
    const s = ctx.freeSpace.state();
    totalBytes = s.totalBytes ?? -1;
    usableBytes = s.freeBytes ?? -1;
  }
  const logDir = ctx.server.logDirs[0] ?? '';
  const errorCode = anyOffline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE;
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode, logDir, topics, totalBytes, usableBytes }] };
}

export const describeLogDirsHandler = defineHandler({
  apiKey: DescribeLogDirsRequestCodec.meta.apiKey,
  name: DescribeLogDirsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeLogDirsRequestCodec,
  response: DescribeLogDirsResponseCodec,
  handle: handleDescribeLogDirs,
});
