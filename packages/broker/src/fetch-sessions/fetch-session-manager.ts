/**
 * FetchSessionManager: turns a fetch request's session fields into what to read, and the
 * read's answers into the response's session fields and partitions (Kafka's
 * `FetchManager` and its `FetchContext`s). It never reads a log: the Fetch handler reads
 * the partitions `newContext` lists and hands the answers to `respond`.
 *
 * `newContext`, by the request's (session id, epoch):
 *   - (0, -1) and (any, -1): sessionless full fetch; a named session is closed first.
 *     Fetch v0–v6 have no session fields: the handler passes (0, -1).
 *   - (0, 0) and (id, 0): full fetch that asks for a new session; a named one is closed.
 *   - (id, e > 0): incremental. Unknown (or expired) id → FETCH_SESSION_ID_NOT_FOUND; e
 *     not the session's next epoch → INVALID_FETCH_SESSION_EPOCH; a v13+ request on a
 *     session of names, or v7–v12 on one of topic ids → FETCH_SESSION_TOPIC_ID_ERROR
 *     (KIP-516). Else the request's partitions are added or updated and its forgotten
 *     ones removed, the session's epoch moves on, and the fetch reads every partition of
 *     the session. A session left empty is closed and the fetch is sessionless; one grown
 *     past its partition bound is closed and its partitions read sessionless (the client
 *     starts over with a full fetch, which the bound then answers without a session).
 *     Session errors answer session id 0 and no partitions.
 * `respond`:
 *   - sessionless: every answer, session id 0;
 *   - full: every answer; a session of the read partitions, remembering each answer, is
 *     created if the cache has (or can free) a slot: its id, else 0;
 *   - incremental: only the answers with something new for the client
 *     (cached-partition.ts); a partition that returned records moves to the end of the
 *     session's order. If the session's epoch moved on while the fetch was being read (a
 *     second request on the same session overtook this one, e.g. during a long poll), the
 *     answer is INVALID_FETCH_SESSION_EPOCH with no partitions, as Kafka does.
 * Partitions named twice in a request count once (the last fields, the first place).
 */
import { ErrorCode } from '@samsa/codec';
import { CachedPartition } from './cached-partition.ts';
import type { FetchSession } from './fetch-session.ts';
import type { FetchSessionCache } from './fetch-session-cache.ts';
import { FINAL_EPOCH, INVALID_SESSION_ID, isFullFetch, nextEpoch } from './session-epoch.ts';
import { partitionKey, type PartitionOutcome, type SessionPartition, type SessionPartitionKey } from './session-partition.ts';

export interface SessionRequest {
  readonly sessionId: number;
  readonly epoch: number;
  /** Fetch v13+: partitions named by topic id. */
  readonly usesTopicIds: boolean;
  /** A follower's fetch (never, for Samsa's Fetch handler: followers use their own protocol). */
  readonly privileged: boolean;
  readonly partitions: readonly SessionPartition[];
  readonly forgotten: readonly SessionPartitionKey[];
}

export type FetchContext =
  | { readonly kind: 'error'; readonly errorCode: number; readonly partitions: readonly SessionPartition[] }
  | { readonly kind: 'sessionless'; readonly partitions: readonly SessionPartition[] }
  | { readonly kind: 'full'; readonly partitions: readonly SessionPartition[]; readonly privileged: boolean; readonly usesTopicIds: boolean }
  | { readonly kind: 'incremental'; readonly partitions: readonly SessionPartition[]; readonly session: FetchSession; readonly expectedEpoch: number };

export interface PartitionAnswer<T> {
  readonly partition: SessionPartitionKey;
  readonly data: T;
}

export interface SessionAnswer<T> {
  readonly errorCode: number;
  readonly sessionId: number;
  /** The answers to send, in fetch order. */
  readonly partitions: ReadonlyArray<PartitionAnswer<T>>;
}

export class FetchSessionManager {
  readonly cache: FetchSessionCache;

  constructor(cache: FetchSessionCache) {
    this.cache = cache;
  }

  newContext(req: SessionRequest, nowMs: number): FetchContext {
    if (isFullFetch(req.epoch)) {
      // Any session a full fetch names is closed.
      if (req.sessionId !== INVALID_SESSION_ID) this.cache.remove(req.sessionId);
      const partitions = dedupe(req.partitions);
      if (req.epoch === FINAL_EPOCH) return { kind: 'sessionless', partitions };
      return { kind: 'full', partitions, privileged: req.privileged, usesTopicIds: req.usesTopicIds };
    }
    const session = this.cache.get(req.sessionId, nowMs);
    if (!session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== req.epoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== req.usesTopicIds) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    session.update(req.partitions, req.forgotten);
    if (session.size === 0 || session.size > this.cache.partitionsPerSessionMax) {
      this.cache.remove(session.id);
      return { kind: 'sessionless', partitions: session.partitions().map((p) => p.asSessionPartition()) };
    }
    this.cache.touch(session, nowMs);
    session.epoch = nextEpoch(session.epoch);
    return { kind: 'incremental', partitions: session.partitions().map((p) => p.asSessionPartition()), session, expectedEpoch: session.epoch };
  }

  /**
   * The response's session fields and partitions. `answers` are the reads of
   * `context.partitions`, one each, in the same order.
   */
  respond<T>(context: FetchContext, answers: ReadonlyArray<PartitionAnswer<T>>, outcome: (data: T) => PartitionOutcome, nowMs: number): SessionAnswer<T> {
    if (answers.length !== context.partitions.length) throw new Error(`fetch session: ${answers.length} answers for ${context.partitions.length} partitions`);
    switch (context.kind) {
      case 'error':
        return { errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, partitions: [] };
      case 'sessionless':
        return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, partitions: answers };
      case 'full': {
        const cached = context.partitions.map((p, i) => {
          const c = new CachedPartition(p);
          c.maybeUpdateResponseData(outcome(answers[i]!.data), true);
          return c;
        });
        const sessionId = this.cache.maybeCreateSession(nowMs, context.privileged, context.usesTopicIds, cached);
        return { errorCode: ErrorCode.NONE, sessionId, partitions: answers };
      }
      case 'incremental':
        return respondIncremental(context.session, context.expectedEpoch, answers, outcome);
    }
  }
}

function respondIncremental<T>(session: FetchSession, expectedEpoch: number, answers: ReadonlyArray<PartitionAnswer<T>>, outcome: (data: T) => PartitionOutcome): SessionAnswer<T> {
  if (session.epoch !== expectedEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, partitions: [] };
  const sent: Array<PartitionAnswer<T>> = [];
  for (const answer of answers) {
    const cached = session.get(answer.partition.topic, answer.partition.partition);
    const o = outcome(answer.data);
    // Not cached: only if the session changed under the read, which the epoch check rules out; send it.
    if (!cached || cached.maybeUpdateResponseData(o, true)) {
      sent.push(answer);
      if (cached && o.hasRecords) session.rotate(cached);
    }
  }
  return { errorCode: ErrorCode.NONE, sessionId: session.id, partitions: sent };
}

function sessionError(errorCode: number): FetchContext {
  return { kind: 'error', errorCode, partitions: [] };
}

/** One entry per partition: the last fields given for it, at its first place. */
function dedupe(partitions: readonly SessionPartition[]): SessionPartition[] {
  const byKey = new Map<string, SessionPartition>();
  // Map.set on a present key keeps its place and replaces its value.
  for (const p of partitions) byKey.set(partitionKey(p.topic, p.partition), p);
  return [...byKey.values()];
}
