/**
 * The leader's answer to a follower's ReplicaFetchRequest (the `ReplicaFetchHandler` of
 * the replica-fetch server): per partition, the partition's LeaderReplica decides
 * (`followerFetch`: fencing, divergence, the follower's position — recorded once per
 * request), then the log is read from the fetch offset up to the LOG END (followers copy
 * what the leader has, not only what is committed), at most `partitionMaxBytes` per
 * partition and `maxBytes` in all, the first partition with data getting at least one
 * whole batch (Kafka's minOneMessage, so a batch above the limits still moves).
 *
 * Long poll: while fewer than `minBytes` were read and no partition answered an error or a
 * divergence, the request parks on the logs (log-end waiters) until data arrives,
 * `maxWaitMs` passes or the signal aborts (connection gone, server closing), then reads
 * again. Each answer carries the LeaderReplica's high watermark as of when it leaves, so
 * a follower also learns a HW that moved while it waited.
 *
 * Records are read into the request's `scratch` buffer when the server lends one (see
 * ../connection/read-scratch-pool.ts), so the answer holds views of it until it is written.
 *
 * The answer lists the partitions in request order (the follower matches them by place).
 *
 * Errors per partition: not led here (or the leader replica not ready) →
 * NOT_LEADER_OR_FOLLOWER; a topic id that is not the local topic's → UNKNOWN_TOPIC_ID;
 * the LeaderReplica's own codes (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH,
 * OFFSET_OUT_OF_RANGE with the log start); a read that fails: OFFSET_OUT_OF_RANGE when the
 * log start passed the fetch offset meanwhile, else KAFKA_STORAGE_ERROR.
 */
import { ErrorCode } from '@samsa/codec';
import { OffsetOutOfRangeError } from '@samsa/log';
import type { LeaderFetchDecision, LeaderReplica } from '@samsa/replication';
import type { Clock } from '@samsa/runtime';
import { ScratchCursor } from '../connection/read-scratch-pool.ts';
import type { Partition } from '../partitions/partition.ts';
import type { ReplicaFetchPartitionRequest, ReplicaFetchPartitionResponse, ReplicaFetchRequest, ReplicaFetchResponse } from './replica-fetch-messages.ts';
import { wholeBatchesWithin } from '../partitions/whole-batches.ts';

const EMPTY: Uint8Array = new Uint8Array(0);
/** Bound on re-reads within one long poll (each is woken by an append). */
const WAKEUPS_MAX = 10_000;

/** What the handler needs of one led partition. */
export interface LedPartition {
  readonly partition: Partition;
  readonly topicId: string;
  readonly replica: LeaderReplica;
}

export interface LeaderFetchDeps {
  readonly clock: Clock;
  /** The partition this broker leads with a ready LeaderReplica, or null. */
  led(topic: string, partition: number): LedPartition | null;
  /** The decision, after the manager carried out the actions `followerFetch` returned. */
  decide(led: LedPartition, fetch: Parameters<LeaderReplica['followerFetch']>[0]): LeaderFetchDecision;
}

interface Decided {
  readonly req: ReplicaFetchPartitionRequest;
  readonly led: LedPartition | null;
  /** Answered without reading (an error or a divergence). */
  readonly final: ReplicaFetchPartitionResponse | null;
}

export async function answerReplicaFetch(deps: LeaderFetchDeps, request: ReplicaFetchRequest, signal: AbortSignal, scratch?: Uint8Array): Promise<ReplicaFetchResponse> {
  const started = deps.clock.monotonicMs();
  const decided = request.partitions.map((req) => decide(deps, request, req));
  let pass = await readPass(decided, request.maxBytes, scratch);
  const anyFinal = decided.some((d) => d.final !== null && d.final.errorCode !== ErrorCode.NONE);
  for (let wakeups = 0; wakeups < WAKEUPS_MAX; wakeups++) {
    if (anyFinal || pass.bytes >= request.minBytes || signal.aborted) break;
    const remainingMs = request.maxWaitMs - (deps.clock.monotonicMs() - started);
    if (remainingMs <= 0) break;
    const readable = decided.filter((d) => d.final === null && d.led !== null);
    if (readable.length === 0) break;
    if (!(await waitForAppend(readable, remainingMs, signal))) break;
    pass = await readPass(decided, request.maxBytes, scratch);
  }
  return { errorCode: ErrorCode.NONE, partitions: pass.partitions };
}

function decide(deps: LeaderFetchDeps, request: ReplicaFetchRequest, req: ReplicaFetchPartitionRequest): Decided {
  const led = deps.led(req.topic, req.partition);
  if (led === null) return { req, led, final: errorAnswer(req, ErrorCode.NOT_LEADER_OR_FOLLOWER) };
  if (req.topicId !== led.topicId) return { req, led, final: errorAnswer(req, ErrorCode.UNKNOWN_TOPIC_ID) };
  const decision = deps.decide(led, {
    replicaId: request.replicaId,
    replicaIncarnation: request.brokerEpoch >= 0 ? String(request.brokerEpoch) : null,
    fetchOffset: req.fetchOffset,
    lastFetchedEpoch: req.lastFetchedEpoch < 0 ? null : req.lastFetchedEpoch,
    currentLeaderEpoch: req.currentLeaderEpoch,
    logStartOffset: req.logStartOffset,
  });
  if (decision.errorCode !== ErrorCode.NONE || decision.divergingEpoch !== null) {
    return {
      req,
      led,
      final: {
        topic: req.topic,
        partition: req.partition,
        errorCode: decision.errorCode,
        highWatermark: decision.highWatermark,
        logStartOffset: decision.logStartOffset,
        divergingEpoch: decision.divergingEpoch === null ? null : { epoch: decision.divergingEpoch.epoch, endOffset: decision.divergingEpoch.endOffset },
        records: EMPTY,
      },
    };
  }
  return { req, led, final: null };
}

function errorAnswer(req: ReplicaFetchPartitionRequest, errorCode: number, logStartOffset = -1): ReplicaFetchPartitionResponse {
  return { topic: req.topic, partition: req.partition, errorCode, highWatermark: -1, logStartOffset, divergingEpoch: null, records: EMPTY };
}

/** The answer of a broker that leads nothing yet (the server is up before the broker is open). */
export function notLeadingAnswer(request: ReplicaFetchRequest): ReplicaFetchResponse {
  return { errorCode: ErrorCode.NONE, partitions: request.partitions.map((p) => errorAnswer(p, ErrorCode.NOT_LEADER_OR_FOLLOWER)) };
}

/**
 * One read of every partition still to answer. With `scratch`, the partitions' records are
 * read into it back to back (each read gets the space after the previous answer's records;
 * a read that needs more than is left gets a fresh buffer from the log); a later pass
 * reuses it from the start, its earlier answer being discarded.
 */
async function readPass(decided: readonly Decided[], maxBytes: number, scratch: Uint8Array | undefined): Promise<{ partitions: ReplicaFetchPartitionResponse[]; bytes: number }> {
  let bytes = 0;
  const cursor = new ScratchCursor(scratch === undefined ? undefined : () => scratch);
  const partitions: ReplicaFetchPartitionResponse[] = [];
  for (const d of decided) {
    if (d.final !== null) {
      partitions.push(d.final);
      continue;
    }
    const { partition, replica } = d.led!;
    const log = partition.log;
    const limit = Math.min(d.req.partitionMaxBytes, maxBytes - bytes);
    let records: Uint8Array = EMPTY;
    if (limit > 0 || bytes === 0) {
      try {
        const read = (await log.read(d.req.fetchOffset, Math.max(1, limit), { maxOffset: log.logEndOffset, scratch: cursor.space() })).records;
        records = bytes === 0 ? read : wholeBatchesWithin(read, limit);
        cursor.used(records);
      } catch (e) {
        const code = e instanceof OffsetOutOfRangeError ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR;
        partitions.push(errorAnswer(d.req, code, log.logStartOffset));
        continue;
      }
    }
    bytes += records.byteLength;
    partitions.push({ topic: d.req.topic, partition: d.req.partition, errorCode: ErrorCode.NONE, highWatermark: replica.highWatermark, logStartOffset: log.logStartOffset, divergingEpoch: null, records });
  }
  return { partitions, bytes };
}

/** True once any partition's log end passed its fetch offset; false on timeout, abort or a full waiter table. */
async function waitForAppend(readable: readonly Decided[], timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const polls = readable.map(() => new AbortController());
  const onAbort = (): void => {
    for (const poll of polls) poll.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const waits = readable.map((d, i) => d.led!.partition.log.waitForData(d.req.fetchOffset, timeoutMs, { signal: polls[i]!.signal, watermark: 'log-end' }));
  try {
    return await Promise.race(waits);
  } catch {
    return false;
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const poll of polls) poll.abort();
    await Promise.allSettled(waits);
  }
}
