// A consumer (the Java client's FetchSessionHandler, reduced) fetching through the session
// manager from a set of partitions whose state changes at random, while other clients
// open sessions (eviction), time passes (expiry), and the consumer sometimes sends a stale
// epoch, an unknown session id, or closes its session. Invariants, after every request:
//   1. the client's view — each partition's last answer (error, high watermark, last
//      stable offset, log start), rebuilt from full and incremental responses alike — of
//      every partition it wants equals what a full fetch would answer now;
//   2. an incremental fetch reads exactly the partitions the client believes its session
//      holds (its adds and forgets applied), and answers only partitions it read;
//   3. an incremental answer for a partition the session already held carries records,
//      an error, or a value the client did not know yet (nothing needless is sent) —
//      unless the session was closed (left empty or grown past its partition bound,
//      session id 0): then the answer holds every partition read;
//   4. a full or sessionless answer holds every partition requested, and any answer
//      every partition read that returned records;
//   5. a stale epoch gets INVALID_FETCH_SESSION_EPOCH, an unknown id
//      FETCH_SESSION_ID_NOT_FOUND, and the cache never holds more than its slots.
import { ErrorCode } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FetchSessionCache } from './fetch-session-cache.ts';
import { FetchSessionManager, type FetchContext, type SessionAnswer } from './fetch-session-manager.ts';
import { FINAL_EPOCH, INITIAL_EPOCH, nextEpoch } from './session-epoch.ts';
import type { PartitionOutcome, SessionPartition, SessionPartitionKey } from './session-partition.ts';

const TOPICS = ['a', 'b'];
const PARTITIONS = 3;
const KEYS = TOPICS.flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
const SLOTS = 4;
const EVICTION_MS = 1000;
const PER_SESSION_MAX = 5;

const keyOf = (p: SessionPartitionKey): string => `${p.topic}-${p.partition}`;

interface Truth {
  hw: number;
  logStart: number;
  error: number;
}

interface Read {
  readonly errorCode: number;
  readonly hw: number;
  readonly lso: number;
  readonly logStart: number;
  readonly records: boolean;
  /** Where the records end (a read returns at most two offsets: the client fetches again). */
  readonly nextOffset: number;
}

type View = Pick<Read, 'errorCode' | 'hw' | 'lso' | 'logStart'>;

// NOT_LEADER_OR_FOLLOWER answers no offsets; OFFSET_OUT_OF_RANGE answers the real ones (as the broker does).
const viewOf = (t: Truth): View =>
  t.error === ErrorCode.NOT_LEADER_OR_FOLLOWER ? { errorCode: t.error, hw: -1, lso: -1, logStart: -1 } : { errorCode: t.error, hw: t.hw, lso: t.hw, logStart: t.logStart };
const outcome = (r: Read): PartitionOutcome => ({ errorCode: r.errorCode, highWatermark: r.hw, lastStableOffset: r.lso, logStartOffset: r.logStart, hasRecords: r.records, hasDivergingEpoch: false, hasPreferredReadReplica: false });
const sameView = (a: View | undefined, b: View): boolean => a !== undefined && a.errorCode === b.errorCode && a.hw === b.hw && a.lso === b.lso && a.logStart === b.logStart;

type Action =
  | { readonly kind: 'mutate'; readonly p: number; readonly hwUp: number; readonly startUp: number; readonly error: number }
  | { readonly kind: 'want' | 'unwant' | 'heal'; readonly p: number }
  | { readonly kind: 'fetch' | 'staleEpoch' | 'bogusId' | 'close' }
  | { readonly kind: 'other'; readonly size: number }
  | { readonly kind: 'advance'; readonly ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mutate' as const), p: fc.nat(KEYS.length - 1), hwUp: fc.nat(3), startUp: fc.nat(1), error: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('want' as const, 'unwant' as const, 'heal' as const), p: fc.nat(KEYS.length - 1) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('fetch' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('staleEpoch' as const, 'bogusId' as const, 'close' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), size: fc.integer({ min: 0, max: PER_SESSION_MAX }) }) },
  // Mostly short pauses; now and then one past the eviction time.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * EVICTION_MS }) }) }) },
);

/** The consumer: Kafka's FetchSessionHandler rules, with a view of every partition it was answered. */
class Client {
  sessionId = 0;
  epoch = INITIAL_EPOCH;
  /** What the client believes its session caches, with the fetch offset it last sent. */
  readonly session = new Map<string, SessionPartition>();
  readonly wanted = new Set<string>();
  readonly fetchOffset = new Map<string, number>();
  readonly view = new Map<string, View>();

  partition(key: string): SessionPartition {
    const k = KEYS.find((x) => keyOf(x) === key)!;
    return { ...k, params: { fetchOffset: this.fetchOffset.get(key) ?? 0, partitionMaxBytes: 100, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 } };
  }

  get full(): boolean {
    return this.epoch === INITIAL_EPOCH || this.epoch === FINAL_EPOCH;
  }

  request(): { partitions: SessionPartition[]; forgotten: SessionPartitionKey[] } {
    if (this.full) return { partitions: [...this.wanted].map((k) => this.partition(k)), forgotten: [] };
    const partitions = [...this.wanted].filter((k) => this.session.get(k)?.params.fetchOffset !== (this.fetchOffset.get(k) ?? 0)).map((k) => this.partition(k));
    const forgotten = [...this.session.keys()].filter((k) => !this.wanted.has(k)).map((k) => KEYS.find((x) => keyOf(x) === k)!);
    return { partitions, forgotten };
  }

  handle(req: { partitions: SessionPartition[]; forgotten: SessionPartitionKey[] }, res: SessionAnswer<Read>): void {
    if (res.errorCode !== ErrorCode.NONE) {
      // NOT_FOUND: start over; any other session error: close the session with the next full fetch.
      if (res.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) this.sessionId = 0;
      this.epoch = INITIAL_EPOCH;
      this.session.clear();
      return;
    }
    const wasFull = this.full;
    for (const f of req.forgotten) this.view.delete(keyOf(f));
    for (const a of res.partitions) {
      const k = keyOf(a.partition);
      this.view.set(k, { errorCode: a.data.errorCode, hw: a.data.hw, lso: a.data.lso, logStart: a.data.logStart });
      if (a.data.records) this.fetchOffset.set(k, a.data.nextOffset);
    }
    if (res.sessionId === 0) {
      this.sessionId = 0;
      this.epoch = INITIAL_EPOCH;
      this.session.clear();
      return;
    }
    if (wasFull) {
      this.session.clear();
      this.sessionId = res.sessionId;
      this.epoch = 1;
    } else {
      this.epoch = nextEpoch(this.epoch);
    }
    for (const p of req.partitions) this.session.set(keyOf(p), p);
    for (const f of req.forgotten) this.session.delete(keyOf(f));
  }
}

/** How often the runs reached incremental fetches (the test is pointless without them). */
const stats = { incremental: 0, laterEpochs: 0, omitted: 0, closedIncremental: 0 };

function run(actions: readonly Action[], seed: number): void {
  const m = new FetchSessionManager(new FetchSessionCache({ slotsMax: SLOTS, evictionMs: EVICTION_MS, partitionsPerSessionMax: PER_SESSION_MAX, random: createRandom(seed) }));
  const truth = KEYS.map((): Truth => ({ hw: 0, logStart: 0, error: 0 }));
  const truthOf = (p: SessionPartitionKey): Truth => truth[KEYS.findIndex((k) => keyOf(k) === keyOf(p))]!;
  const read = (ctx: FetchContext) =>
    ctx.partitions.map((p) => {
      const t = truthOf(p);
      const v = viewOf(t);
      const records = t.error === 0 && p.params.fetchOffset < t.hw;
      return { partition: p, data: { ...v, records, nextOffset: records ? Math.min(t.hw, p.params.fetchOffset + 2) : p.params.fetchOffset } };
    });
  const client = new Client();
  let now = 0;

  for (const a of actions) {
    now += 1;
    switch (a.kind) {
      case 'mutate': {
        const t = truth[a.p]!;
        t.hw += a.hwUp;
        t.logStart = Math.min(t.hw, t.logStart + a.startUp);
        t.error = a.error === 0 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : a.error === 1 ? ErrorCode.OFFSET_OUT_OF_RANGE : 0;
        break;
      }
      case 'heal':
        truth[a.p]!.error = 0;
        break;
      case 'want':
        client.wanted.add(keyOf(KEYS[a.p]!));
        break;
      case 'unwant':
        client.wanted.delete(keyOf(KEYS[a.p]!));
        break;
      case 'advance':
        now += a.ms;
        break;
      case 'other': {
        const ctx = m.newContext({ sessionId: 0, epoch: INITIAL_EPOCH, usesTopicIds: false, privileged: false, partitions: KEYS.slice(0, a.size).map((k) => client.partition(keyOf(k))), forgotten: [] }, now);
        m.respond(ctx, read(ctx), outcome, now);
        break;
      }
      case 'bogusId': {
        let id = 1;
        while (m.cache.get(id, now)) id++;
        const res = m.respond(m.newContext({ sessionId: id, epoch: 1, usesTopicIds: false, privileged: false, partitions: [], forgotten: [] }, now), [], outcome, now);
        expect(res.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
        break;
      }
      case 'staleEpoch': {
        if (client.full || !m.cache.get(client.sessionId, now)) break;
        const stale = client.epoch === 1 ? 7 : client.epoch - 1;
        const req = { partitions: [], forgotten: [] };
        const res = m.respond(m.newContext({ sessionId: client.sessionId, epoch: stale, usesTopicIds: false, privileged: false, ...req }, now), [], outcome, now);
        expect(res.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
        client.handle(req, res);
        break;
      }
      case 'close':
        if (client.sessionId !== 0) client.epoch = FINAL_EPOCH;
        fetchOnce();
        break;
      case 'fetch':
        fetchOnce();
        break;
    }
    expect(m.cache.size).toBeLessThanOrEqual(SLOTS);
  }

  function fetchOnce(): void {
    const req = client.request();
    const incremental = !client.full;
    const sessionBefore = new Set(client.session.keys());
    const viewBefore = new Map(client.view);
    // Looked up at the same instant as the fetch will: the session is live or it is not.
    const live = incremental && m.cache.get(client.sessionId, now) !== undefined;
    const ctx = m.newContext({ sessionId: client.sessionId, epoch: client.epoch, usesTopicIds: false, privileged: false, ...req }, now);
    const answers = read(ctx);
    const res = m.respond(ctx, answers, outcome, now);
    // 5. A client that follows the protocol is refused only when its session is gone.
    expect(res.errorCode).toBe(incremental && !live ? ErrorCode.FETCH_SESSION_ID_NOT_FOUND : ErrorCode.NONE);
    if (incremental && live) stats.incremental++;
    if (incremental && live && client.epoch > 1) stats.laterEpochs++;
    if (incremental && res.errorCode === ErrorCode.NONE) {
      // 2. The session read is the client's idea of it.
      const expected = new Set(sessionBefore);
      for (const p of req.partitions) expected.add(keyOf(p));
      for (const f of req.forgotten) expected.delete(keyOf(f));
      expect(new Set(ctx.partitions.map(keyOf))).toEqual(expected);
    }
    if (incremental && res.errorCode === ErrorCode.NONE && res.sessionId === 0) {
      // A session left empty or grown past its bound is closed: the answer is whole.
      stats.closedIncremental++;
      expect(new Set(res.partitions.map((a) => keyOf(a.partition)))).toEqual(new Set(ctx.partitions.map(keyOf)));
    }
    if (incremental && res.errorCode === ErrorCode.NONE && res.sessionId !== 0) {
      // 3. Nothing needless while the session goes on.
      const added = new Set(req.partitions.map(keyOf).filter((k) => !sessionBefore.has(k)));
      for (const a of res.partitions) {
        const k = keyOf(a.partition);
        if (added.has(k)) continue;
        expect(a.data.records || a.data.errorCode !== 0 || !sameView(viewBefore.get(k), a.data)).toBe(true);
      }
      stats.omitted += ctx.partitions.length - res.partitions.length;
    }
    if (!incremental && res.errorCode === ErrorCode.NONE) {
      // 4. A full answer is whole.
      expect(new Set(res.partitions.map((a) => keyOf(a.partition)))).toEqual(new Set(req.partitions.map(keyOf)));
    }
    // Records read are always answered.
    if (res.errorCode === ErrorCode.NONE) for (const a of answers) if (a.data.records) expect(res.partitions).toContain(a);
    const read_ = new Set(ctx.partitions.map(keyOf));
    for (const a of res.partitions) expect(read_.has(keyOf(a.partition))).toBe(true);
    client.handle(req, res);
    if (res.errorCode !== ErrorCode.NONE) return;
    // 1. The client's view of what it wants is a full fetch's.
    for (const k of client.wanted) {
      if (!req.partitions.some((p) => keyOf(p) === k) && !sessionBefore.has(k)) continue; // not requested yet
      const t = truthOf(KEYS.find((x) => keyOf(x) === k)!);
      expect({ k, view: client.view.get(k) }).toEqual({ k, view: viewOf(t) });
    }
  }
}

/** Six wanted partitions, added one fetch at a time: the sixth passes PER_SESSION_MAX. */
const GROWN_PAST_BOUND: Action[] = [
  { kind: 'want', p: 3 },
  { kind: 'want', p: 5 },
  { kind: 'other', size: 0 },
  { kind: 'fetch' },
  { kind: 'want', p: 4 },
  { kind: 'want', p: 2 },
  { kind: 'staleEpoch' },
  { kind: 'fetch' },
  { kind: 'fetch' },
  { kind: 'advance', ms: 0 },
  { kind: 'fetch' },
  { kind: 'fetch' },
  { kind: 'fetch' },
  { kind: 'want', p: 0 },
  { kind: 'mutate', p: 0, hwUp: 0, startUp: 0, error: 0 },
  { kind: 'mutate', p: 0, hwUp: 0, startUp: 0, error: 0 },
  { kind: 'fetch' },
  { kind: 'fetch' },
  { kind: 'want', p: 1 },
  { kind: 'fetch' },
  { kind: 'staleEpoch' },
  { kind: 'mutate', p: 0, hwUp: 0, startUp: 0, error: 0 },
];

describe('fetch sessions against a client model', () => {
  it('the view rebuilt from incremental responses always equals a full fetch', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 20, maxLength: 100 }), fc.integer({ min: 0, max: 1_000_000 }), (actions, seed) => run(actions, seed)),
      // Always run: a session grown past its bound by an incremental add (FC_SEED=1141076467
      // found it; the server answers whole and sessionless, and the test wrongly wanted an
      // incremental answer).
      { numRuns: 300, examples: [[GROWN_PAST_BOUND, 0]] },
    );
    expect(stats.closedIncremental).toBeGreaterThan(0);
    expect(stats.incremental).toBeGreaterThan(1000);
    expect(stats.laterEpochs).toBeGreaterThan(500);
    expect(stats.omitted).toBeGreaterThan(500);
  });
});
