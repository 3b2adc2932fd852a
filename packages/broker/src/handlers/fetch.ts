/**
 * Fetch (key 1), versions 4-12 (consumers only; replica fetch comes with replication).
 *
 * - Reads whole batches from each requested partition, bytes straight from the log into
 *   the response. Budget: `max_bytes` for the whole response and `partition_max_bytes`
 *   per partition; the first partition that has data returns at least one whole batch
 *   even if it is larger (KIP-74), later ones only what fits.
 * - Long polling: if fewer than `min_bytes` are ready, wait up to `max_wait_ms` and read
 *   again whenever the high watermark of one of the requested partitions passes what the
 *   last read saw. The wait is the log's own (`waitForData` with the 'high-watermark'
 *   watermark, through Partition.waitForData), one waiter per partition, each with its
 *   own AbortController; the first to fire aborts the others. Any partition error
 *   answers at once. A poll the log cannot park (its waiter bound, `waitersMax`, is
 *   reached) is answered at once with what it has, never left silent until max_wait_ms.
 *   Shutdown ends parked polls (Partition.endPolls); a deleted topic's closed log ends
 *   them too.
 * - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION; OFFSET_OUT_OF_RANGE when the fetch
 *   offset is outside [log start, log end]. In a cluster (handlers/leadership.ts, checked
 *   on every read pass, so a long poll notices a leadership move): NOT_LEADER_OR_FOLLOWER
 *   for a partition this broker does not lead (or any while its lease may have expired),
 *   FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for a v9+ current leader epoch older /
 *   newer than the replica's; v12+ answers carry the view's leader in `currentLeader`.
 * - Isolation: there are no transactions, so read_committed sees everything below the
 *   high watermark: last_stable_offset = high watermark, aborted_transactions = [] (null
 *   for read_uncommitted, as Kafka).
 * - Fetch sessions (KIP-227, v7+): not implemented, answered correctly as sessionless —
 *   a request to open a session (session id 0, epoch 0) or a sessionless one (epoch -1)
 *   is a full fetch answered with session id 0, which tells the client no session exists
 *   and it keeps sending full fetches; a request naming a session id ≠ 0 gets
 *   FETCH_SESSION_ID_NOT_FOUND.
 */
import { ErrorCode, FetchRequestCodec, FetchResponseCodec } from '@samsa/codec';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../partitions/partition.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';

const READ_COMMITTED = 1;
const EMPTY = new Uint8Array(0);
/** A client may ask for any wait; we cap it so a request cannot pin a connection for long. */
const MAX_WAIT_MS_CAP = 60_000;
/** Bound on re-reads while long polling (each is woken by the high watermark moving). */
const WAKEUPS_MAX = 10_000;

interface PartitionRead {
  readonly index: number;
  /** v9+: the leader epoch the client knows (-1: none). */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
}

function partitionData(index: number, errorCode: number, fields: Partial<FetchResponsePartitionData> = {}): FetchResponsePartitionData {
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
    ...fields,
  };
}

interface ReadPass {
  readonly responses: FetchResponse['responses'];
  readonly bytes: number;
  readonly anyError: boolean;
  /** Each partition read and the high watermark that read saw (what a long poll waits past). */
  readonly seen: ReadonlyArray<{ readonly partition: Partition; readonly highWatermark: number }>;
}

async function readOnce(ctx: BrokerContext, topics: ReadonlyArray<{ topic: string; topicId: string; parts: PartitionRead[] }>, maxBytes: number, readCommitted: boolean): Promise<ReadPass> {
  let budget = maxBytes;
  let bytes = 0;
  let anyError = false;
  const responses: FetchResponse['responses'] = [];
  const seen: Array<{ partition: Partition; highWatermark: number }> = [];
  for (const t of topics) {
    const partitions: FetchResponsePartitionData[] = [];
    for (const r of t.parts) {
      // Looked up on every pass: leadership may move while a poll waits.
      const found = leaderPartition(ctx, t.topic, r.index, r.currentLeaderEpoch);
      if (!found.partition) {
        anyError = true;
        partitions.push(partitionData(r.index, found.errorCode, { currentLeader: found.currentLeader }));
        continue;
      }
      const limit = Math.min(r.partitionMaxBytes, budget);
      const out = await found.partition.fetch(r.fetchOffset, limit, bytes === 0);
      const records = out.records ?? EMPTY;
      if (out.errorCode !== ErrorCode.NONE) anyError = true;
      seen.push({ partition: found.partition, highWatermark: out.highWatermark });
      bytes += records.byteLength;
      budget = Math.max(0, budget - records.byteLength);
      partitions.push(
        partitionData(r.index, out.errorCode, {
          highWatermark: out.highWatermark,
          lastStableOffset: out.lastStableOffset,
          logStartOffset: out.logStartOffset,
          abortedTransactions: readCommitted ? [] : null,
          records,
        }),
      );
    }
    responses.push({ topic: t.topic, topicId: t.topicId, partitions });
  }
  return { responses, bytes, anyError, seen };
}

/**
 * Parks on the logs of `seen` until one's high watermark passes what the last read saw
 * (true), or `delayMs` passes or the polls end (false, re-read and decide). Resolves
 * 'answer' when a log cannot park another waiter (its bound): the fetch answers now.
 */
async function waitForData(seen: ReadPass['seen'], delayMs: number): Promise<boolean | 'answer'> {
  // One controller per partition: one signal shared by every waiter would collect a
  // listener per partition (Node warns past 10).
  const polls = seen.map(() => new AbortController());
  const waits = seen.map((s, i) => s.partition.waitForData(s.highWatermark, delayMs, polls[i]!));
  try {
    return await Promise.race(waits);
  } catch {
    return 'answer';
  } finally {
    // Releases the other partitions' waiters at once (they resolve false).
    for (const poll of polls) poll.abort();
    await Promise.allSettled(waits);
  }
}

async function handleFetch(ctx: BrokerContext, req: FetchRequest, info: RequestInfo): Promise<FetchResponse> {
  const v = info.apiVersion;
  const base = { throttleTimeMs: 0, sessionId: 0, nodeEndpoints: [] };
  if (v >= 7 && req.sessionId !== 0) return { ...base, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, responses: [] };
  const topics = req.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    parts: t.partitions.map((p) => ({
      index: p.partition,
      currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: Math.max(0, p.partitionMaxBytes),
    })),
  }));
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  const maxBytes = Math.max(0, req.maxBytes);
  const started = ctx.clock.monotonicMs();
  const waitMs = Math.min(Math.max(0, req.maxWaitMs), MAX_WAIT_MS_CAP);
  let pass = await readOnce(ctx, topics, maxBytes, readCommitted);
  for (let wakeups = 0; wakeups < WAKEUPS_MAX; wakeups++) {
    if (pass.anyError || pass.bytes >= req.minBytes || ctx.shuttingDown) break;
    const remainingMs = waitMs - (ctx.clock.monotonicMs() - started);
    if (remainingMs <= 0 || pass.seen.length === 0) break;
    if ((await waitForData(pass.seen, remainingMs)) === 'answer') break;
    pass = await readOnce(ctx, topics, maxBytes, readCommitted);
  }
  return { ...base, errorCode: ErrorCode.NONE, responses: pass.responses };
}

export const fetchHandler = defineHandler({
  apiKey: FetchRequestCodec.meta.apiKey,
  name: FetchRequestCodec.meta.apiName,
  minVersion: 4,
  maxVersion: 12,
  request: FetchRequestCodec,
  response: FetchResponseCodec,
  handle: handleFetch,
});
