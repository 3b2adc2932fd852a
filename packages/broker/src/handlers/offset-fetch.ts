/**
 * OffsetFetch (key 9), versions 0-8.
 *
 * Committed offsets of one group (v0-v7) or of several groups at once (v8, `groups`).
 * A partition with no committed offset answers offset -1, metadata "". `topics: null`
 * (v2+) asks for every partition the group has an offset for. v2+ carry a top-level error
 * (e.g. COORDINATOR_LOAD_IN_PROGRESS); v0-v1 have none, so a group error goes on every
 * requested partition instead, as Kafka does. v7+ `requireStable` is accepted (there are no
 * pending transactional offsets to wait for). v8 answers per group, in request order.
 */
import { ErrorCode, OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '@samsa/codec';
import type { OffsetFetchRequest, OffsetFetchResponse, OffsetFetchResponseOffsetFetchResponseGroup } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

type GroupResult = OffsetFetchResponseOffsetFetchResponseGroup;

function fetchGroup(ctx: BrokerContext, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): Promise<GroupResult> {
  const fail = (errorCode: number): GroupResult => ({ groupId, topics: [], errorCode });
  return callGroups(ctx, 'OffsetFetch', 'offsetFetch', { groupId, topics, requireStable }, fail);
}

async function handleOffsetFetch(ctx: BrokerContext, req: OffsetFetchRequest, info: RequestInfo): Promise<OffsetFetchResponse> {
  const v = info.apiVersion;
  if (v >= 8) {
    const groups = await Promise.all(req.groups.map((g) => fetchGroup(ctx, g.groupId, g.topics, req.requireStable)));
    return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
  }
  const topics = v >= 2 ? req.topics : (req.topics ?? []);
  const g = await fetchGroup(ctx, req.groupId, topics, v >= 7 && req.requireStable);
  if (v < 2 && g.errorCode !== ErrorCode.NONE) {
    // No top-level error before v2: report it on every requested partition.
    const withError = (topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: g.errorCode })),
    }));
    return { throttleTimeMs: 0, topics: withError, errorCode: g.errorCode, groups: [] };
  }
  return { throttleTimeMs: 0, topics: g.topics, errorCode: g.errorCode, groups: [] };
}

export const offsetFetchHandler = defineHandler({
  apiKey: OffsetFetchRequestCodec.meta.apiKey,
  name: OffsetFetchRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 8,
  request: OffsetFetchRequestCodec,
  response: OffsetFetchResponseCodec,
  handle: handleOffsetFetch,
});
