/**
 * Fetch (key 1), versions 0-17 (consumers; brokers replicate over their own protocol).
 *
 * - v0–v3 predate record batch v2: each partition's batches are down-converted to message
 *   format v0 (Fetch v0–v1) or v1 (v2–v3) on the way out, within the partition's byte
 *   budget but always at least the first message (fetch-down-convert.ts, the codec's
 *   legacy-messages); counted in `messageFormatConversions('Fetch', records)`. v0–v2
 *   have no response-wide `max_bytes` (the codec's default, 2^31-1, applies).
 *
 * - Reads whole batches from each requested partition, bytes straight from the log into
 *   the response. Budget: `max_bytes` for the whole response and `partition_max_bytes`
 *   per partition; the first partition that has data returns at least one whole batch
 *   even if it is larger (KIP-74), later ones only what fits.
 * - Long polling: if fewer than `min_bytes` are ready, wait up to `max_wait_ms` and read
 *   again whenever the high watermark of one of the requested partitions passes what the
 *   last read saw. The wait is the log's own (`waitForData` with the 'high-watermark'
 *   watermark, through Partition.waitForData), one waiter per partition, each with its
 *   own AbortController; the first to fire aborts the others. Any partition error or
 *   diverging epoch answers at once. A poll the log cannot park (its waiter bound,
 *   `waitersMax`, is reached) is answered at once with what it has, never left silent
 *   until max_wait_ms. Shutdown ends parked polls (Partition.endPolls); a deleted topic's
 *   closed log ends them too.
 * - Topics by version: v4–v12 name topics; v13+ (KIP-516) name them by topic id, resolved
 *   through the cluster view (or the registry on a single broker) on every read pass; an
 *   unknown id answers UNKNOWN_TOPIC_ID on each of its partitions, the response echoing
 *   the id. v15 moves the replica id into ReplicaState and v17 adds ReplicaDirectoryId:
 *   both are followers' fields, ignored (every fetch is read as a consumer's, up to the
 *   high watermark).
 * - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION; OFFSET_OUT_OF_RANGE when the fetch
 *   offset is outside [log start, log end]. In a cluster (handlers/leadership.ts, checked
 *   on every read pass, so a long poll notices a leadership move): NOT_LEADER_OR_FOLLOWER
 *   for a partition this broker does not lead (or any while its lease may have expired),
 *   FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for a v9+ current leader epoch older /
 *   newer than the replica's; v12+ answers carry the view's leader in `currentLeader`, and
 *   v16+ responses list in `node_endpoints` the brokers those NOT_LEADER_OR_FOLLOWER /
 *   FENCED_LEADER_EPOCH answers name (KIP-951), so a client reaches the new leader
 *   without a Metadata round trip.
 * - Diverging epoch (KIP-320, v12+): a partition whose request carries
 *   `last_fetched_epoch` ≥ 0 is checked against the leader's epoch history first
 *   (Kafka's Partition.fetchRecords): where that epoch ends here
 *   (`endOffsetForEpoch`); none (an epoch newer than any here) → OFFSET_OUT_OF_RANGE; a
 *   fetch offset below the log start → OFFSET_OUT_OF_RANGE; the epoch ends before the
 *   fetch offset, or only an older epoch is known → no records and `diverging_epoch` =
 *   {that epoch, its end offset}: the client truncates there.
 * - Isolation: there are no transactions, so read_committed sees everything below the
 *   high watermark: last_stable_offset = high watermark, aborted_transactions = [] (null
 *   for read_uncommitted, as Kafka).
 * - Fetch sessions (KIP-227, v7+): ../fetch-sessions/ (its README has the rules). The
 *   session decides what is read (an incremental request reads every partition its
 *   session caches) and what is answered (only partitions with something new); session
 *   errors (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
 *   FETCH_SESSION_TOPIC_ID_ERROR) answer at top level with no partitions. v4–v6 have no
 *   session fields and are sessionless. One session cache per broker (per BrokerContext).
 */
import { ErrorCode, FetchRequestCodec, FetchResponseCodec, ZERO_UUID } from '@samsa/codec';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { FetchSessionCache, FetchSessionManager, fetchSessionConfig, FINAL_EPOCH, INVALID_SESSION_ID } from '../fetch-sessions/index.ts';
import type { PartitionAnswer, PartitionOutcome, SessionPartition, SessionRequest } from '../fetch-sessions/index.ts';
import { ScratchCursor } from '../connection/read-scratch-pool.ts';
import type { Partition } from '../partitions/partition.ts';
import { defineHandler } from './api-handler.ts';
import type { ReadScratchLender, RequestInfo } from './api-handler.ts';
import { downConvertForFetch, FETCH_DOWN_CONVERT_VERSION_MAX } from './fetch-down-convert.ts';
import { leaderPartition } from './leadership.ts';

const READ_COMMITTED = 1;
const EMPTY = new Uint8Array(0);
/** A client may ask for any wait; we cap it so a request cannot pin a connection for long. */
const MAX_WAIT_MS_CAP = 60_000;
/** Room for one partition's read beyond its records: the segment read's index slack (log.index.interval.bytes, 4 KiB by default) and a header. */
const READ_SLACK_BYTES = 8 * 1024;
/** Bound on re-reads while long polling (each is woken by the high watermark moving). */
const WAKEUPS_MAX = 10_000;
/** The first versions with: sessions (KIP-227), current leader epoch and last fetched epoch (KIP-320), topic ids (KIP-516), node endpoints (KIP-951). */
const V_SESSIONS = 7;
const V_CURRENT_LEADER_EPOCH = 9;
const V_DIVERGING_EPOCH = 12;
const V_TOPIC_IDS = 13;
const V_NODE_ENDPOINTS = 16;

type Answer = PartitionAnswer<FetchResponsePartitionData>;

/** One session manager per broker: the context lives as long as the broker. */
const sessionManagers = new WeakMap<BrokerContext, FetchSessionManager>();

function sessionsOf(ctx: BrokerContext): FetchSessionManager {
  let manager = sessionManagers.get(ctx);
  if (!manager) {
    manager = new FetchSessionManager(new FetchSessionCache({ ...fetchSessionConfig(ctx.server.values), random: ctx.random }));
    sessionManagers.set(ctx, manager);
  }
  return manager;
}

/** The live fetch sessions of the broker behind `ctx` (tests, metrics). */
export function fetchSessionCacheOf(ctx: BrokerContext): FetchSessionCache {
  return sessionsOf(ctx).cache;
}

/** The request as the session layer sees it: topics by name (v4–v12) or by id (v13+). */
function sessionRequest(req: FetchRequest, v: number): SessionRequest {
  const byId = v >= V_TOPIC_IDS;
  const partitions: SessionPartition[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      partitions.push({
        topic: byId ? t.topicId : t.topic,
        partition: p.partition,
        params: {
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: Math.max(0, p.partitionMaxBytes),
          currentLeaderEpoch: v >= V_CURRENT_LEADER_EPOCH ? p.currentLeaderEpoch : -1,
          lastFetchedEpoch: v >= V_DIVERGING_EPOCH ? p.lastFetchedEpoch : -1,
          logStartOffset: p.logStartOffset,
        },
      });
    }
  }
  const forgotten = v >= V_SESSIONS ? req.forgottenTopicsData.flatMap((t) => t.partitions.map((partition) => ({ topic: byId ? t.topicId : t.topic, partition }))) : [];
  const sessioned = v >= V_SESSIONS;
  return {
    sessionId: sessioned ? req.sessionId : INVALID_SESSION_ID,
    epoch: sessioned ? req.sessionEpoch : FINAL_EPOCH,
    usesTopicIds: byId,
    privileged: false,
    partitions,
    forgotten,
  };
}

/** The topic name a request's topic key stands for; null: an unknown topic id. */
function topicName(ctx: BrokerContext, v: number, key: string): string | null {
  if (v < V_TOPIC_IDS) return key;
  if (ctx.cluster !== null) return ctx.cluster.view().topicsById.get(key)?.name ?? null;
  return ctx.registry.topicById(key)?.record.name ?? null;
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

/**
 * KIP-320: the answer for a fetch whose last fetched epoch is not in this log's history
 * as the client has it (Kafka's Partition.readRecords); null when the fetch may read.
 */
function divergence(partition: Partition, fetchOffset: number, lastFetchedEpoch: number): FetchResponsePartitionData | null {
  const log = partition.log;
  const base = { highWatermark: log.highWatermark, lastStableOffset: log.highWatermark, logStartOffset: log.logStartOffset };
  const end = log.endOffsetForEpoch(lastFetchedEpoch);
  if (end.leaderEpoch < 0 || end.endOffset < 0) return partitionData(partition.index, ErrorCode.OFFSET_OUT_OF_RANGE, { ...base, records: null });
  if (fetchOffset < log.logStartOffset) return partitionData(partition.index, ErrorCode.OFFSET_OUT_OF_RANGE, { ...base, records: null });
  if (end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset) {
    return partitionData(partition.index, ErrorCode.NONE, { ...base, divergingEpoch: { epoch: end.leaderEpoch, endOffset: end.endOffset } });
  }
  return null;
}

interface ReadPass {
  readonly answers: Answer[];
  readonly bytes: number;
  /** An error or a diverging epoch: the fetch answers without waiting. */
  readonly answerNow: boolean;
  /** Each partition read and the high watermark that read saw (what a long poll waits past). */
  readonly seen: ReadonlyArray<{ readonly partition: Partition; readonly highWatermark: number }>;
}

/**
 * The cursor over the buffer a request reads its partitions' records into (taken from the
 * request's lender at the first read, reused by later passes: only the last pass is
 * answered). Sized for the request: min(max_bytes, Σ partition_max_bytes) plus a read's
 * slack per partition, rounded up to a power of two so that buffers of a broker-wide pool
 * fit the next request too.
 */
function requestScratch(lender: ReadScratchLender | undefined, parts: readonly SessionPartition[], maxBytes: number): ScratchCursor {
  if (lender === undefined) return new ScratchCursor(undefined);
  let sum = 0;
  for (const p of parts) sum += Math.min(p.params.partitionMaxBytes, maxBytes);
  const wanted = Math.min(maxBytes, sum) + parts.length * READ_SLACK_BYTES;
  return new ScratchCursor(() => lender.take(2 ** Math.ceil(Math.log2(Math.max(wanted, 1)))));
}

async function readOnce(ctx: BrokerContext, v: number, parts: readonly SessionPartition[], maxBytes: number, readCommitted: boolean, scratch: ScratchCursor): Promise<ReadPass> {
  scratch.rewind();
  let budget = maxBytes;
  let bytes = 0;
  let answerNow = false;
  const answers: Answer[] = [];
  const seen: Array<{ partition: Partition; highWatermark: number }> = [];
  for (const r of parts) {
    const answer = (data: FetchResponsePartitionData): void => {
      if (data.errorCode !== ErrorCode.NONE || data.divergingEpoch.epoch >= 0) answerNow = true;
      answers.push({ partition: r, data });
    };
    // Looked up on every pass: a topic or its leadership may change while a poll waits.
    const name = topicName(ctx, v, r.topic);
    if (name === null) {
      answer(partitionData(r.partition, ErrorCode.UNKNOWN_TOPIC_ID));
      continue;
    }
    const found = leaderPartition(ctx, name, r.partition, r.params.currentLeaderEpoch);
    if (!found.partition) {
      answer(partitionData(r.partition, found.errorCode, { currentLeader: found.currentLeader }));
      continue;
    }
    const diverged = r.params.lastFetchedEpoch >= 0 ? divergence(found.partition, r.params.fetchOffset, r.params.lastFetchedEpoch) : null;
    if (diverged) {
      answer(diverged);
      continue;
    }
    const limit = Math.min(r.params.partitionMaxBytes, budget);
    const out = await found.partition.fetch(r.params.fetchOffset, limit, bytes === 0, scratch.space());
    if (out.records !== null) scratch.used(out.records);
    let records = out.records ?? EMPTY;
    let errorCode = out.errorCode;
    if (v <= FETCH_DOWN_CONVERT_VERSION_MAX && records.byteLength > 0) {
      // v0–v3 consumers read message format v0/v1: converted on the way out (fetch-down-convert.ts).
      const converted = downConvertForFetch(records, v, limit, { fetchOffset: r.params.fetchOffset });
      records = converted.records;
      if (errorCode === ErrorCode.NONE) errorCode = converted.errorCode;
      if (converted.convertedRecords > 0) ctx.metrics.messageFormatConversions('Fetch', converted.convertedRecords);
    }
    seen.push({ partition: found.partition, highWatermark: out.highWatermark });
    bytes += records.byteLength;
    budget = Math.max(0, budget - records.byteLength);
    answer(
      partitionData(r.partition, errorCode, {
        highWatermark: out.highWatermark,
        lastStableOffset: out.lastStableOffset,
        logStartOffset: out.logStartOffset,
        abortedTransactions: readCommitted ? [] : null,
        records,
      }),
    );
  }
  return { answers, bytes, answerNow, seen };
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

/** What the session layer compares to decide whether an incremental response carries a partition. */
function outcomeOf(d: FetchResponsePartitionData): PartitionOutcome {
  return {
    errorCode: d.errorCode,
    highWatermark: d.highWatermark,
    lastStableOffset: d.lastStableOffset,
    logStartOffset: d.logStartOffset,
    hasRecords: (d.records?.byteLength ?? 0) > 0,
    hasDivergingEpoch: d.divergingEpoch.epoch >= 0,
    hasPreferredReadReplica: d.preferredReadReplica >= 0,
  };
}

/** Answers grouped by topic (in first-answer order); v13+ names each by id. */
function responseTopics(v: number, answers: readonly Answer[]): FetchResponse['responses'] {
  const byTopic = new Map<string, FetchResponsePartitionData[]>();
  for (const a of answers) {
    const list = byTopic.get(a.partition.topic);
    if (list) list.push(a.data);
    else byTopic.set(a.partition.topic, [a.data]);
  }
  const byId = v >= V_TOPIC_IDS;
  return [...byTopic].map(([key, partitions]) => ({ topic: byId ? '' : key, topicId: byId ? key : ZERO_UUID, partitions }));
}

/** KIP-951 (v16+): the brokers the NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answers name as leader. */
function nodeEndpoints(ctx: BrokerContext, v: number, answers: readonly Answer[]): FetchResponse['nodeEndpoints'] {
  if (v < V_NODE_ENDPOINTS || ctx.cluster === null) return [];
  const view = ctx.cluster.view();
  const endpoints = new Map<number, FetchResponse['nodeEndpoints'][number]>();
  for (const { data } of answers) {
    if (data.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && data.errorCode !== ErrorCode.FENCED_LEADER_EPOCH) continue;
    const leader = view.brokers.get(data.currentLeader.leaderId);
    if (leader && !endpoints.has(leader.nodeId)) endpoints.set(leader.nodeId, { nodeId: leader.nodeId, host: leader.host, port: leader.port, rack: leader.rack });
  }
  return [...endpoints.values()].sort((a, b) => a.nodeId - b.nodeId);
}

async function handleFetch(ctx: BrokerContext, req: FetchRequest, info: RequestInfo): Promise<FetchResponse> {
  const v = info.apiVersion;
  const sessions = sessionsOf(ctx);
  const context = sessions.newContext(sessionRequest(req, v), ctx.clock.monotonicMs());
  if (context.kind === 'error') return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] };
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  const maxBytes = Math.max(0, req.maxBytes);
  const started = ctx.clock.monotonicMs();
  const waitMs = Math.min(Math.max(0, req.maxWaitMs), MAX_WAIT_MS_CAP);
  const scratch = requestScratch(info.readScratch, context.partitions, maxBytes);
  let pass = await readOnce(ctx, v, context.partitions, maxBytes, readCommitted, scratch);
  for (let wakeups = 0; wakeups < WAKEUPS_MAX; wakeups++) {
    if (pass.answerNow || pass.bytes >= req.minBytes || ctx.shuttingDown) break;
    const remainingMs = waitMs - (ctx.clock.monotonicMs() - started);
    if (remainingMs <= 0 || pass.seen.length === 0) break;
    if ((await waitForData(pass.seen, remainingMs)) === 'answer') break;
    pass = await readOnce(ctx, v, context.partitions, maxBytes, readCommitted, scratch);
  }
  const answer = sessions.respond(context, pass.answers, outcomeOf, ctx.clock.monotonicMs());
  return {
    throttleTimeMs: 0,
    errorCode: answer.errorCode,
    sessionId: answer.sessionId,
    responses: responseTopics(v, answer.partitions),
    nodeEndpoints: nodeEndpoints(ctx, v, answer.partitions),
  };
}

export const fetchHandler = defineHandler({
  apiKey: FetchRequestCodec.meta.apiKey,
  name: FetchRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 17,
  request: FetchRequestCodec,
  response: FetchResponseCodec,
  handle: handleFetch,
});
