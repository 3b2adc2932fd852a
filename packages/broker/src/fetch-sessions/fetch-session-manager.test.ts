import { ErrorCode } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { describe, expect, it } from 'vitest';
import { FetchSessionCache } from './fetch-session-cache.ts';
import { FetchSessionManager, type FetchContext } from './fetch-session-manager.ts';
import { FINAL_EPOCH, INITIAL_EPOCH, nextEpoch } from './session-epoch.ts';
import type { PartitionOutcome, SessionPartition, SessionPartitionKey } from './session-partition.ts';

const EVICTION_MS = 1000;

function manager(slotsMax = 10, partitionsPerSessionMax = 100, seed = 1): FetchSessionManager {
  return new FetchSessionManager(new FetchSessionCache({ slotsMax, evictionMs: EVICTION_MS, partitionsPerSessionMax, random: createRandom(seed) }));
}

const part = (topic: string, partition: number, fetchOffset = 0): SessionPartition => ({
  topic,
  partition,
  params: { fetchOffset, partitionMaxBytes: 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 },
});

interface Data {
  readonly hw: number;
  readonly records?: boolean;
  readonly error?: number;
}
// Errors keep their offsets here, as OFFSET_OUT_OF_RANGE does.
const outcome = (d: Data): PartitionOutcome => ({
  errorCode: d.error ?? 0,
  highWatermark: d.hw,
  lastStableOffset: d.hw,
  logStartOffset: 0,
  hasRecords: d.records ?? false,
  hasDivergingEpoch: false,
  hasPreferredReadReplica: false,
});

/** Answers every partition the context reads from `state` (hw 5 when absent). */
function serve(m: FetchSessionManager, ctx: FetchContext, state: Record<string, Data>, nowMs: number) {
  const answers = ctx.partitions.map((p) => ({ partition: p, data: state[`${p.topic}-${p.partition}`] ?? { hw: 5 } }));
  return m.respond(ctx, answers, outcome, nowMs);
}

const names = (ps: ReadonlyArray<{ partition: SessionPartitionKey }>): string[] => ps.map((p) => `${p.partition.topic}-${p.partition.partition}`);

function request(sessionId: number, epoch: number, partitions: SessionPartition[] = [], forgotten: SessionPartitionKey[] = [], usesTopicIds = false) {
  return { sessionId, epoch, usesTopicIds, privileged: false, partitions, forgotten };
}

/** Opens a session over `partitions`; returns its id. */
function open(m: FetchSessionManager, partitions: SessionPartition[], nowMs = 0, state: Record<string, Data> = {}): number {
  const res = serve(m, m.newContext(request(0, INITIAL_EPOCH, partitions), nowMs), state, nowMs);
  expect(res.errorCode).toBe(ErrorCode.NONE);
  return res.sessionId;
}

describe('session epochs', () => {
  it('count up from 1 and wrap from 2^31-1 to 1, never to 0; -1 stays final', () => {
    expect(nextEpoch(INITIAL_EPOCH)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fffffff)).toBe(1);
    expect(nextEpoch(FINAL_EPOCH)).toBe(FINAL_EPOCH);
  });
});

describe('FetchSessionManager', () => {
  it('a full fetch with epoch 0 creates a session; epoch -1 does not', () => {
    const m = manager();
    const id = open(m, [part('a', 0), part('a', 1)]);
    expect(id).not.toBe(0);
    expect(m.cache.size).toBe(1);
    expect(m.cache.partitionsCached).toBe(2);
    const sessionless = serve(m, m.newContext(request(0, FINAL_EPOCH, [part('a', 0)]), 0), {}, 0);
    expect(sessionless).toMatchObject({ errorCode: 0, sessionId: 0 });
    expect(names(sessionless.partitions)).toEqual(['a-0']);
    expect(m.cache.size).toBe(1);
  });

  it('an incremental fetch reads the whole session and answers only what changed', () => {
    const m = manager();
    const id = open(m, [part('a', 0), part('a', 1), part('b', 0)], 0, { 'a-0': { hw: 5 }, 'a-1': { hw: 5 }, 'b-0': { hw: 5 } });
    const ctx = m.newContext(request(id, 1), 10);
    expect(ctx.kind).toBe('incremental');
    expect(names(ctx.partitions.map((p) => ({ partition: p })))).toEqual(['a-0', 'a-1', 'b-0']);
    const res = serve(m, ctx, { 'a-0': { hw: 5 }, 'a-1': { hw: 6 }, 'b-0': { hw: 5, records: true } }, 10);
    expect(res).toMatchObject({ errorCode: 0, sessionId: id });
    expect(names(res.partitions)).toEqual(['a-1', 'b-0']);
    // Nothing new: nothing answered.
    const quiet = serve(m, m.newContext(request(id, 2), 20), { 'a-0': { hw: 5 }, 'a-1': { hw: 6 }, 'b-0': { hw: 5 } }, 20);
    expect(quiet.partitions).toEqual([]);
  });

  it('errors are always answered, and the first answer after an error too', () => {
    const m = manager();
    const id = open(m, [part('a', 0)], 0, { 'a-0': { hw: 5 } });
    expect(names(serve(m, m.newContext(request(id, 1), 1), { 'a-0': { hw: 5, error: ErrorCode.OFFSET_OUT_OF_RANGE } }, 1).partitions)).toEqual(['a-0']);
    expect(names(serve(m, m.newContext(request(id, 2), 2), { 'a-0': { hw: 5, error: ErrorCode.OFFSET_OUT_OF_RANGE } }, 2).partitions)).toEqual(['a-0']);
    expect(names(serve(m, m.newContext(request(id, 3), 3), { 'a-0': { hw: 5 } }, 3).partitions)).toEqual(['a-0']);
    expect(serve(m, m.newContext(request(id, 4), 4), { 'a-0': { hw: 5 } }, 4).partitions).toEqual([]);
  });

  it('adds and updates requested partitions, forgets forgotten ones, and rotates those with records to the end', () => {
    const m = manager();
    const id = open(m, [part('a', 0), part('a', 1)]);
    const ctx = m.newContext(request(id, 1, [part('c', 0), part('a', 0, 9)], [{ topic: 'a', partition: 1 }]), 1);
    expect(ctx.partitions.map((p) => [p.topic, p.partition, p.params.fetchOffset])).toEqual([
      ['a', 0, 9],
      ['c', 0, 0],
    ]);
    serve(m, ctx, { 'a-0': { hw: 6, records: true } }, 1);
    const next = m.newContext(request(id, 2), 2);
    expect(next.partitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['c-0', 'a-0']);
  });

  it('unknown session id → FETCH_SESSION_ID_NOT_FOUND; wrong epoch → INVALID_FETCH_SESSION_EPOCH; both answer session id 0 and nothing', () => {
    const m = manager();
    const id = open(m, [part('a', 0)]);
    const unknown = serve(m, m.newContext(request(id + 1, 1), 1), {}, 1);
    expect(unknown).toEqual({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, partitions: [] });
    const wrong = serve(m, m.newContext(request(id, 2), 1), {}, 1);
    expect(wrong).toEqual({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, partitions: [] });
    // The failed requests did not move the epoch: 1 still works, then 1 again does not.
    expect(serve(m, m.newContext(request(id, 1), 1), {}, 1).errorCode).toBe(ErrorCode.NONE);
    expect(serve(m, m.newContext(request(id, 1), 1), {}, 1).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  });

  it('a v13+ request on a session of names (and the reverse) → FETCH_SESSION_TOPIC_ID_ERROR', () => {
    const m = manager();
    const byName = open(m, [part('a', 0)]);
    expect(serve(m, m.newContext(request(byName, 1, [], [], true), 1), {}, 1).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    const byId = serve(m, m.newContext(request(0, 0, [part('AAAAAAAAAAAAAAAAAAAAAQ', 0)], [], true), 1), {}, 1).sessionId;
    expect(serve(m, m.newContext(request(byId, 1, [], [], false), 1), {}, 1).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    expect(serve(m, m.newContext(request(byId, 1, [], [], true), 1), {}, 1).errorCode).toBe(ErrorCode.NONE);
  });

  it('epoch -1 with a session id closes it; epoch 0 with one replaces it', () => {
    const m = manager();
    const id = open(m, [part('a', 0)]);
    expect(serve(m, m.newContext(request(id, FINAL_EPOCH, [part('a', 0)]), 1), {}, 1).sessionId).toBe(0);
    expect(m.cache.size).toBe(0);
    const second = open(m, [part('a', 0)], 2);
    const third = serve(m, m.newContext(request(second, INITIAL_EPOCH, [part('a', 0)]), 3), {}, 3).sessionId;
    expect(third).not.toBe(0);
    expect(third).not.toBe(second);
    expect(m.cache.size).toBe(1);
    expect(serve(m, m.newContext(request(second, 1), 4), {}, 4).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('a session emptied by forgetting is closed and the fetch answered without one', () => {
    const m = manager();
    const id = open(m, [part('a', 0)]);
    const res = serve(m, m.newContext(request(id, 1, [], [{ topic: 'a', partition: 0 }]), 1), {}, 1);
    expect(res).toEqual({ errorCode: 0, sessionId: 0, partitions: [] });
    expect(m.cache.size).toBe(0);
  });

  it('a request raced by the next one on its session answers INVALID_FETCH_SESSION_EPOCH', () => {
    const m = manager();
    const id = open(m, [part('a', 0)]);
    const slow = m.newContext(request(id, 1), 1);
    const fast = m.newContext(request(id, 2), 2);
    expect(serve(m, fast, {}, 2).errorCode).toBe(ErrorCode.NONE);
    expect(serve(m, slow, {}, 3)).toEqual({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: id, partitions: [] });
  });

  it('bounds partitions per session: a larger full fetch gets no session; an incremental one growing past it closes it', () => {
    const m = manager(10, 2);
    expect(open(m, [part('a', 0), part('a', 1), part('a', 2)])).toBe(0);
    const id = open(m, [part('a', 0), part('a', 1)]);
    expect(id).not.toBe(0);
    const res = serve(m, m.newContext(request(id, 1, [part('a', 2)]), 1), {}, 1);
    expect(res.sessionId).toBe(0);
    expect(names(res.partitions)).toEqual(['a-0', 'a-1', 'a-2']);
    expect(m.cache.size).toBe(0);
  });

  it('a session unused longer than the eviction time expires', () => {
    const m = manager();
    const id = open(m, [part('a', 0)], 0);
    expect(serve(m, m.newContext(request(id, 1), EVICTION_MS), {}, EVICTION_MS).errorCode).toBe(ErrorCode.NONE);
    expect(serve(m, m.newContext(request(id, 2), 2 * EVICTION_MS + 1), {}, 2 * EVICTION_MS + 1).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(m.cache.size).toBe(0);
    expect(m.cache.expirations).toBe(1);
  });
});

describe('FetchSessionCache eviction (Kafka order)', () => {
  it('a full cache evicts the smallest session older than the eviction time for a larger newcomer, else serves sessionless', () => {
    const m = manager(2);
    const small = open(m, [part('a', 0)], 0);
    const big = open(m, [part('a', 0), part('a', 1), part('a', 2)], 0);
    // Keep both in use; they are young: nobody is evicted, the newcomer gets no session.
    expect(open(m, [part('b', 0), part('b', 1), part('b', 2), part('b', 3)], 500)).toBe(0);
    for (const [id, epoch] of [
      [small, 1],
      [big, 1],
    ] as const)
      expect(serve(m, m.newContext(request(id, epoch), 900), {}, 900).errorCode).toBe(0);
    // Old enough now (created > 1000 ms ago), still in use: an equal-size newcomer does not evict...
    expect(open(m, [part('c', 0)], 1500)).toBe(0);
    // ...a larger one evicts the smallest.
    const newcomer = open(m, [part('d', 0), part('d', 1)], 1500);
    expect(newcomer).not.toBe(0);
    expect(m.cache.evictions).toBe(1);
    expect(serve(m, m.newContext(request(small, 2), 1600), {}, 1600).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(serve(m, m.newContext(request(big, 2), 1600), {}, 1600).errorCode).toBe(ErrorCode.NONE);
  });

  it('0 slots: every fetch is sessionless', () => {
    const m = manager(0);
    expect(open(m, [part('a', 0)])).toBe(0);
    expect(m.cache.size).toBe(0);
  });

  it('session ids are non-zero, unique and follow the seed', () => {
    const ids = (seed: number) => {
      const m = manager(50, 10, seed);
      return Array.from({ length: 50 }, () => open(m, [part('a', 0)]));
    };
    const first = ids(7);
    expect(new Set(first).size).toBe(50);
    expect(first.every((id) => id > 0 && id < 0x7fffffff)).toBe(true);
    expect(ids(7)).toEqual(first);
  });
});
