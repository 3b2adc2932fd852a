/**
 * Property test of GroupCoordinator against a model: simulated consumers (dynamic and
 * static) join, sync, heartbeat, leave (in batches), commit, time passes, appends complete
 * or fail (in order, as a partition log would), and the coordinator restarts (the records
 * of every completed append are replayed into a fresh coordinator; pending appends are lost).
 * The leader computes a range assignment from the subscriptions in its JoinGroup response.
 * Clients may skip SyncGroup: any op order allows it, and a 'stall' burst keeps one client
 * joining and heartbeating, never syncing, for longer than the rebalance timeout while the
 * others cooperate (it may be the leader, whose silence used to hold the group forever).
 *
 * Invariants, checked after every step:
 *  1. no partition is owned by two members in one generation (owners learn their partitions
 *     from successful SyncGroup responses; a static member is identified by its instance id);
 *  2. in Stable, the members' assignments partition exactly the subscribed partitions;
 *  3. committed offsets never go backwards: OffsetFetch returns exactly the last acknowledged
 *     commit of each partition (clients only commit increasing offsets and appends complete
 *     in order, so that is also the highest), across restarts too; an unacknowledged or
 *     failed commit is never visible;
 *  4a. a generation whose assignment reached any member survives a restart (the group's
 *     generation after replay is at least that generation);
 *  4. replaying the persisted records rebuilds the same state: at a restart with no append
 *     pending, every Stable/Empty group (members, generation, leader, protocol, assignments)
 *     and every committed offset is the same in the fresh coordinator;
 *  4b. after every input, at most one tick leaves nothing due (nextTickAtMs() in the future or null);
 *  5. liveness: once clients stop and time passes, every request issued since the last
 *     restart has been answered exactly once (the harness rejects a second answer);
 *  6. pending sync (KAFKA-13128): a dynamic member that got generation G's JoinGroup answer
 *     from a join phase of this coordinator and sent no SyncGroup for G is not a member of
 *     the group once the rebalance timeout has passed since that answer while the group is
 *     still in G (CompletingRebalance or Stable). (Static members are left out: one replaced
 *     without a rebalance does not owe a sync under its new id, as in Kafka.)
 *  7. static restart (KIP-345): a static member whose process restarts (it forgets its member
 *     id and rejoins with the same subscription) while the group is Stable and holds its
 *     instance id does not rebalance the group, whether it was the leader or a follower:
 *     right after that JoinGroup the group is still Stable in the same generation. Clients
 *     join at v9 (skipAssignment, KIP-814) or older at random; a leader told to skip syncs
 *     without assignments, and an old-version leader answered with the previous leader id
 *     acts as a follower.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode as E } from '@samsa/codec';
import { GroupCoordinator, decodeMemberAssignment, decodeMemberSubscription, encodeMemberAssignment } from '../index.ts';
import type { GroupView } from '../index.ts';
import { Harness, TEST_CONFIG, seededRandom, subscription } from '../../test/group-harness.ts';

const G = 'group';
const TOPIC = 't';
const CLIENTS = 4;
const SESSION_TIMEOUT_MS = 10_000;
const REBALANCE_TIMEOUT_MS = 20_000;

type Op =
  | { t: 'join'; c: number; requireKnown: boolean; v9: boolean }
  /** A static client's process restarts: it forgets its member id and outstanding requests, and rejoins. */
  | { t: 'bounce'; c: number; v9: boolean }
  /** A rolling restart: settle, then bounce each client in turn (dynamic ones are skipped), settling after each. */
  | { t: 'rolling'; clients: number; v9: boolean; flush: boolean }
  | { t: 'sync'; c: number }
  | { t: 'hb'; c: number }
  | { t: 'leave'; cs: number[] }
  | { t: 'commit'; c: number; p: number }
  | { t: 'advance'; ms: number }
  | { t: 'complete'; fail: boolean }
  | { t: 'restart' }
  /** A cooperative burst: every client (re)joins/syncs, appends complete (if flush), a little time passes; then maybe a crash. */
  | { t: 'settle'; clients: number; flush: boolean; crash: boolean }
  /** Like settle over more than a rebalance timeout, but client `skip` joins and heartbeats and never syncs. */
  | { t: 'stall'; clients: number; skip: number; flush: boolean };

interface Client {
  instanceId: string | null;
  memberId: string;
  generation: number;
  phase: 'idle' | 'joined' | 'stable';
  leaderMembers: { memberId: string; metadata: Uint8Array }[] | null;
  joinReq: number | null;
  syncReq: number | null;
  hbReq: number | null;
  commitReqs: { id: number; p: number; offset: number }[];
  leaveReqs: number[];
  /** Generation of the last successful JoinGroup answer, and when it arrived (invariant 6). */
  joinedGen: number;
  joinedAtMs: number;
  /** Highest generation this client sent a SyncGroup for. */
  syncedGen: number;
}

const client = (i: number, isStatic: boolean): Client => ({
  instanceId: isStatic ? `inst-${i}` : null,
  memberId: '',
  generation: -1,
  phase: 'idle',
  leaderMembers: null,
  joinReq: null,
  syncReq: null,
  hbReq: null,
  commitReqs: [],
  leaveReqs: [],
  joinedGen: -1,
  joinedAtMs: 0,
  syncedGen: -1,
});

/** The range assignor: members sorted by id, partitions split in contiguous runs. */
function rangeAssign(members: { memberId: string; metadata: Uint8Array }[], partitions: number): Map<string, number[]> {
  const subscribed = members.filter((m) => decodeMemberSubscription(m.metadata).topics.includes(TOPIC)).map((m) => m.memberId).sort();
  const out = new Map<string, number[]>(members.map((m) => [m.memberId, []]));
  const per = Math.floor(partitions / Math.max(subscribed.length, 1));
  const extra = partitions % Math.max(subscribed.length, 1);
  let next = 0;
  subscribed.forEach((id, i) => {
    const n = per + (i < extra ? 1 : 0);
    out.set(id, Array.from({ length: n }, (_, k) => next + k));
    next += n;
  });
  return out;
}

class Sim {
  h: Harness;
  clients: Client[];
  /** generation → partition → owner (instance id or member id). */
  owners = new Map<number, Map<number, string>>();
  lastAcked: number[];
  /** Highest generation in which some member received its assignment. */
  syncedGeneration = -1;
  /** An append failed since the last restart: the in-memory state may be ahead of the log. */
  appendFailedSinceRestart = false;
  /** The group's generation when the current coordinator finished loading; later ones were its own join phases. */
  loadedGeneration = -1;
  nextOffset: number[];
  /** Requests of client incarnations that restarted: their answers are never read, but each must come (invariant 5). */
  orphans: number[] = [];

  readonly partitions: number;
  readonly delayMs: number;
  readonly seed: number;

  constructor(partitions: number, statics: boolean[], delayMs: number, seed: number) {
    this.partitions = partitions;
    this.delayMs = delayMs;
    this.seed = seed;
    this.h = new Harness(this.config(), seed);
    this.h.autoComplete = false; // appends complete only through 'complete' ops (or fail, or are lost)
    this.clients = statics.map((s, i) => client(i, s));
    this.lastAcked = Array.from({ length: partitions }, () => -1);
    this.nextOffset = Array.from({ length: partitions }, () => 0);
  }

  config(): typeof TEST_CONFIG {
    return { ...TEST_CONFIG, groupInitialRebalanceDelayMs: this.delayMs };
  }

  step(op: Op): void {
    const h = this.h;
    switch (op.t) {
      case 'join': {
        const c = this.clients[op.c]!;
        if (c.joinReq !== null) return;
        c.joinReq = h.join(G, {
          memberId: c.memberId,
          groupInstanceId: c.instanceId,
          requireKnownMemberId: op.requireKnown,
          skipAssignmentSupported: op.v9,
          clientId: `c${op.c}`,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
          protocols: [{ name: 'range', metadata: subscription([TOPIC]) }],
        });
        break;
      }
      case 'bounce': {
        const c = this.clients[op.c]!;
        if (c.instanceId === null) return;
        this.react(); // answers that arrived before the process died were read
        for (const id of [c.joinReq, c.syncReq, c.hbReq, ...c.leaveReqs]) if (id !== null) this.orphans.push(id);
        c.joinReq = c.syncReq = c.hbReq = null;
        c.leaveReqs = [];
        // Commits already sent stay tracked: an acknowledged commit counts even if nobody reads the ack.
        const before = h.c.describeState().find((g) => g.groupId === G);
        const known = before?.state === 'Stable' && before.members.some((m) => m.groupInstanceId === c.instanceId);
        c.memberId = '';
        c.phase = 'idle';
        this.step({ t: 'join', c: op.c, requireKnown: true, v9: op.v9 });
        if (known) {
          const after = h.c.describeState().find((g) => g.groupId === G);
          const wasLeader = before.members.find((m) => m.groupInstanceId === c.instanceId)?.memberId === before.leader;
          if (after?.state !== 'Stable' || after.generation !== before.generation) {
            throw new Error(`static ${wasLeader ? 'leader' : 'follower'} ${c.instanceId} restarted in Stable generation ${before.generation}: group went ${after?.state} ${after?.generation}`);
          }
          coverage.staticRestarts++;
          if (wasLeader) coverage.staticLeaderRestarts++;
        }
        return;
      }
      case 'sync': {
        const c = this.clients[op.c]!;
        if (c.phase !== 'joined' || c.syncReq !== null) return;
        const assignments = c.leaderMembers === null ? [] : [...rangeAssign(c.leaderMembers, this.partitions)].map(([memberId, ps]) => ({ memberId, assignment: encodeMemberAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: ps }], userData: null }) }));
        c.syncReq = h.sync(G, c.memberId, c.generation, assignments, c.instanceId);
        c.syncedGen = Math.max(c.syncedGen, c.generation);
        break;
      }
      case 'hb': {
        const c = this.clients[op.c]!;
        if (c.memberId === '' || c.hbReq !== null) return;
        c.hbReq = h.heartbeat(G, c.memberId, c.generation, c.instanceId);
        break;
      }
      case 'leave': {
        const cs = [...new Set(op.cs)].map((i) => this.clients[i]!).filter((c) => c.memberId !== '' || c.instanceId !== null);
        if (cs.length === 0) return;
        const id = h.leave(G, cs.map((c) => ({ memberId: c.memberId, groupInstanceId: c.instanceId })));
        for (const c of cs) c.leaveReqs.push(id);
        break;
      }
      case 'commit': {
        const c = this.clients[op.c]!;
        if (c.phase === 'idle' || c.memberId === '') return;
        const p = op.p % this.partitions;
        const offset = this.nextOffset[p]!++;
        c.commitReqs.push({ id: h.commit(G, c.memberId, c.generation, [{ topic: TOPIC, partition: p, offset }], c.instanceId), p, offset });
        break;
      }
      case 'advance':
        h.advance(op.ms);
        break;
      case 'complete':
        if (h.pending.length > 0) {
          if (op.fail) this.appendFailedSinceRestart = true;
          h.complete(h.pending[0]!, op.fail ? E.NOT_ENOUGH_REPLICAS : 0);
        }
        break;
      case 'restart':
        this.restart();
        break;
      case 'settle':
        for (let round = 0; round < 4; round++) {
          for (let c = 0; c < op.clients; c++) {
            const cl = this.clients[c]!;
            this.step(cl.phase === 'idle' ? { t: 'join', c, requireKnown: false, v9: c % 2 === 0 } : cl.phase === 'joined' ? { t: 'sync', c } : { t: 'hb', c });
          }
          if (op.flush) this.h.completeAll();
          this.step({ t: 'advance', ms: this.delayMs + 1 });
        }
        for (let c = 0; c < op.clients; c++) this.step({ t: 'commit', c, p: c });
        if (op.flush) this.h.completeAll();
        if (op.crash) this.step({ t: 'restart' });
        break;
      case 'rolling':
        this.step({ t: 'settle', clients: op.clients, flush: op.flush, crash: false });
        for (let c = 0; c < op.clients; c++) {
          this.step({ t: 'bounce', c, v9: op.v9 });
          this.step({ t: 'settle', clients: op.clients, flush: op.flush, crash: false });
        }
        break;
      case 'stall':
        for (let round = 0; round * 4000 <= REBALANCE_TIMEOUT_MS + 8000; round++) {
          for (let c = 0; c < op.clients; c++) {
            const cl = this.clients[c]!;
            const syncs = cl.phase === 'joined' && c !== op.skip;
            this.step(cl.phase === 'idle' ? { t: 'join', c, requireKnown: false, v9: c % 2 === 0 } : syncs ? { t: 'sync', c } : { t: 'hb', c });
          }
          if (op.flush) this.h.completeAll();
          this.step({ t: 'advance', ms: 4000 });
        }
        break;
    }
    this.react();
    this.check();
  }

  /** Clients act on the answers they got. */
  react(): void {
    const h = this.h;
    for (const c of this.clients) {
      if (c.joinReq !== null) {
        const r = h.response(c.joinReq, 'JoinGroup');
        if (r !== undefined) {
          c.joinReq = null;
          if (r.errorCode === E.NONE) {
            c.memberId = r.memberId;
            c.generation = r.generationId;
            c.phase = 'joined';
            if (r.generationId !== c.joinedGen) {
              c.joinedGen = r.generationId;
              c.joinedAtMs = h.nowMs;
            }
            // A leader told to skip the assignment (KIP-814) syncs without one, like a follower.
            c.leaderMembers = r.leader === r.memberId && !r.skipAssignment ? r.members : null;
            if (r.skipAssignment) coverage.skippedAssignments++;
          } else if (r.errorCode === E.MEMBER_ID_REQUIRED) c.memberId = r.memberId;
          else this.lost(c, r.errorCode);
        }
      }
      if (c.syncReq !== null) {
        const r = h.response(c.syncReq, 'SyncGroup');
        if (r !== undefined) {
          c.syncReq = null;
          if (r.errorCode === E.NONE) {
            c.phase = 'stable';
            this.syncedGeneration = Math.max(this.syncedGeneration, c.generation);
            if (c.instanceId !== null) coverage.staticSyncs++;
            this.own(c, decodeMemberAssignment(r.assignment).assignedPartitions.flatMap((tp) => tp.partitions));
          } else this.lost(c, r.errorCode);
        }
      }
      if (c.hbReq !== null) {
        const r = h.response(c.hbReq, 'Heartbeat');
        if (r !== undefined) {
          c.hbReq = null;
          if (r.errorCode !== E.NONE) this.lost(c, r.errorCode);
        }
      }
      c.commitReqs = c.commitReqs.filter((q) => {
        const r = h.response(q.id, 'OffsetCommit');
        if (r === undefined) return true;
        if (r.topics[0]!.partitions[0]!.errorCode === E.NONE) {
          this.lastAcked[q.p] = Math.max(this.lastAcked[q.p]!, q.offset);
          coverage.ackedCommits++;
        }
        return false;
      });
      c.leaveReqs = c.leaveReqs.filter((id) => {
        if (h.response(id, 'LeaveGroup') === undefined) return true;
        c.memberId = '';
        c.phase = 'idle';
        return false;
      });
    }
  }

  /** An error answer: rejoin, with a fresh member id when the old one is gone. */
  lost(c: Client, errorCode: number): void {
    c.phase = 'idle';
    if (errorCode === E.UNKNOWN_MEMBER_ID || errorCode === E.FENCED_INSTANCE_ID) c.memberId = '';
  }

  own(c: Client, partitions: number[]): void {
    let gen = this.owners.get(c.generation);
    if (gen === undefined) this.owners.set(c.generation, (gen = new Map()));
    const me = c.instanceId ?? c.memberId;
    for (const p of partitions) {
      const prev = gen.get(p);
      if (prev !== undefined && prev !== me) throw new Error(`generation ${c.generation}: partition ${p} owned by ${prev} and ${me}`);
      gen.set(p, me);
    }
  }

  check(): void {
    let next = this.h.c.nextTickAtMs();
    if (next !== null && next <= this.h.nowMs) {
      // A cached bound may be early (a deadline was cleared since); one tick must settle it.
      this.h.apply(this.h.c.tick(this.h.nowMs));
      next = this.h.c.nextTickAtMs();
      if (next !== null && next <= this.h.nowMs) throw new Error(`a deadline at ${next} is still due at ${this.h.nowMs} after a tick`);
    }
    const view = this.h.c.describeState().find((g) => g.groupId === G);
    if (view?.state === 'Stable') {
      const owned = view.members.flatMap((m) => (m.assignment.length === 0 ? [] : decodeMemberAssignment(m.assignment).assignedPartitions.flatMap((tp) => tp.partitions)));
      expect(owned.sort((a, b) => a - b)).toEqual(Array.from({ length: this.partitions }, (_, i) => i));
      coverage.stableChecks++;
    }
    if (view !== undefined && (view.state === 'CompletingRebalance' || view.state === 'Stable')) {
      for (const c of this.clients) {
        if (c.instanceId !== null || c.joinedGen !== view.generation || c.joinedGen <= this.loadedGeneration || c.syncedGen >= c.joinedGen) continue;
        if (this.h.nowMs < c.joinedAtMs + REBALANCE_TIMEOUT_MS) continue;
        if (view.members.some((m) => m.memberId === c.memberId)) throw new Error(`member ${c.memberId} sent no SyncGroup for generation ${c.joinedGen} since ${c.joinedAtMs} and is still in the group at ${this.h.nowMs}`);
      }
    }
    for (let p = 0; p < this.partitions; p++) {
      const got = this.h.fetchOffset(G, TOPIC, p);
      if (got !== this.lastAcked[p]!) throw new Error(`partition ${p}: fetched ${got}, last acknowledged ${this.lastAcked[p]}`);
    }
  }

  restart(): void {
    this.react(); // answers sent before the crash were received
    const old = this.h;
    const quiet = old.pending.length === 0;
    const fresh = new Harness(this.config(), this.seed + 1, false);
    fresh.autoComplete = false;
    fresh.nowMs = old.nowMs;
    fresh.log.push(...old.log);
    const stats = fresh.c.load(old.log);
    expect(stats.skipped).toBe(0);
    fresh.apply(fresh.c.loadCompleted(fresh.nowMs));
    const norm = (vs: GroupView[]): GroupView[] => vs.filter((g) => !(g.state === 'Empty' && g.generation === 0 && g.members.length === 0 && g.offsets.length === 0));
    const before = norm(old.c.describeState());
    const after = norm(fresh.c.describeState());
    const replayedGeneration = after.find((g) => g.groupId === G)?.generation ?? -1;
    if (replayedGeneration < this.syncedGeneration) throw new Error(`replayed generation ${replayedGeneration} < synced generation ${this.syncedGeneration}`);
    const offsets = (vs: GroupView[]): [string, GroupView['offsets']][] => vs.filter((g) => g.offsets.length > 0).map((g) => [g.groupId, g.offsets]);
    expect(offsets(after)).toEqual(offsets(before));
    if (quiet) {
      for (const b of before) {
        if (b.state !== 'Stable' && b.state !== 'Empty') continue;
        const a = after.find((x) => x.groupId === b.groupId);
        // Known, harmless gap: a group write that failed (e.g. the Empty group record after
        // its last member expired) leaves the in-memory generation ahead of the log, and a
        // restart replays the older one. Kafka's newer coordinator rolls such state back;
        // this one does not. With no member left nothing can use that generation, so for an
        // Empty group after a failed append the replayed generation may be lower; all the
        // rest must still match.
        // (A group none of whose writes ever succeeded replays as nothing at all.)
        if (b.state === 'Empty' && b.members.length === 0 && this.appendFailedSinceRestart) {
          if (a === undefined) expect(b.offsets).toEqual([]);
          else {
            expect(a.generation).toBeLessThanOrEqual(b.generation);
            expect({ ...a, generation: b.generation }).toEqual(b);
          }
        } else expect(a).toEqual(b);
        if (b.state === 'Stable') coverage.quietStableRestarts++;
      }
    }
    coverage.pendingSyncRemovals += old.c.counters().pendingSyncMembersRemovedTotal;
    this.loadedGeneration = replayedGeneration;
    this.appendFailedSinceRestart = false;
    this.h = fresh;
    this.orphans = [];
    for (const c of this.clients) {
      c.joinedGen = c.syncedGen = -1; // the fresh coordinator's generations may repeat numbers of lost ones
      // Connections dropped: outstanding requests are gone; clients keep their ids and retry.
      c.joinReq = c.syncReq = c.hbReq = null;
      c.commitReqs = [];
      c.leaveReqs = [];
      if (c.phase === 'joined') c.phase = 'idle';
    }
  }

  /** Invariant 5: stop the clients and let time pass; nothing may stay unanswered. */
  drain(): void {
    for (let i = 0; i < 10; i++) {
      this.h.completeAll();
      this.h.advance(25_000);
      this.react();
    }
    for (const id of this.orphans) expect(this.h.responses.has(id)).toBe(true);
    for (const c of this.clients) {
      expect(c.joinReq).toBeNull();
      expect(c.syncReq).toBeNull();
      expect(c.hbReq).toBeNull();
      expect(c.commitReqs).toEqual([]);
      expect(c.leaveReqs).toEqual([]);
    }
    this.check();
    coverage.pendingSyncRemovals += this.h.c.counters().pendingSyncMembersRemovedTotal;
  }
}

/** How much of the state space the random runs reached (asserted non-zero, so the property is not vacuous). */
const coverage = { stableChecks: 0, ackedCommits: 0, quietStableRestarts: 0, staticSyncs: 0, pendingSyncRemovals: 0, staticRestarts: 0, staticLeaderRestarts: 0, skippedAssignments: 0 };

const clientIx = fc.integer({ min: 0, max: CLIENTS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('join' as const), c: clientIx, requireKnown: fc.boolean(), v9: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bounce' as const), c: clientIx, v9: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rolling' as const), clients: fc.integer({ min: 1, max: CLIENTS }), v9: fc.boolean(), flush: fc.constant(true) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('sync' as const), c: clientIx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('hb' as const), c: clientIx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leave' as const), cs: fc.array(clientIx, { minLength: 1, maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('commit' as const), c: clientIx, p: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12_000 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('complete' as const), fail: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('settle' as const), clients: fc.integer({ min: 1, max: CLIENTS }), flush: fc.boolean(), crash: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('stall' as const), clients: fc.integer({ min: 1, max: CLIENTS }), skip: clientIx, flush: fc.boolean() }) },
);

describe('GroupCoordinator against a model', () => {
  it('keeps ownership exclusive, Stable assignments complete, offsets monotonic, replay faithful, and answers everything', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.boolean(), { minLength: CLIENTS, maxLength: CLIENTS }),
        fc.constantFrom(0, 0, 3000),
        fc.nat(),
        fc.array(opArb, { maxLength: 80 }),
        (partitions, statics, delayMs, seed, ops) => {
          const sim = new Sim(partitions, statics, delayMs, seed);
          for (const op of ops) sim.step(op);
          sim.drain();
        },
      ),
    );
    expect(coverage.stableChecks).toBeGreaterThan(0);
    expect(coverage.ackedCommits).toBeGreaterThan(0);
    expect(coverage.quietStableRestarts).toBeGreaterThan(0);
    expect(coverage.staticSyncs).toBeGreaterThan(0);
    expect(coverage.pendingSyncRemovals).toBeGreaterThan(0);
    expect(coverage.staticRestarts).toBeGreaterThan(0);
    expect(coverage.staticLeaderRestarts).toBeGreaterThan(0);
    console.log('coverage', JSON.stringify(coverage));
  });

  it('a fresh coordinator replays a long history to exactly the same groups and offsets', () => {
    // Deterministic long run: 3 dynamic members, repeated rebalances and commits, then a quiet restart.
    const sim = new Sim(5, [false, false, true, false], 0, 7);
    const rounds: Op[] = [];
    for (let r = 0; r < 20; r++) {
      for (let c = 0; c < 4; c++) rounds.push({ t: 'join', c, requireKnown: r % 2 === 0, v9: c % 2 === 1 });
      for (let c = 0; c < 4; c++) rounds.push({ t: 'sync', c });
      for (let c = 0; c < 4; c++) rounds.push({ t: 'commit', c, p: r + c });
      rounds.push({ t: 'complete', fail: false }, { t: 'advance', ms: 3000 });
      if (r % 5 === 4) rounds.push({ t: 'leave', cs: [r % 4] });
    }
    for (const op of rounds) sim.step(op);
    sim.h.completeAll();
    sim.react();
    expect(sim.lastAcked.some((o) => o >= 0)).toBe(true);
    sim.step({ t: 'restart' });
    sim.drain();
  });

  for (const v9 of [true, false]) {
    it(`a rolling restart of static members (JoinGroup ${v9 ? 'v9+, skipAssignment' : 'before v9'}), leader included, keeps one generation`, () => {
      const sim = new Sim(4, [true, true, true, true], 0, 5);
      sim.step({ t: 'settle', clients: 4, flush: true, crash: false });
      const before = sim.h.c.describeState().find((g) => g.groupId === G)!;
      expect(before.state).toBe('Stable');
      const restarts = coverage.staticLeaderRestarts;
      const skipped = coverage.skippedAssignments;
      sim.step({ t: 'rolling', clients: 4, v9, flush: true }); // invariant 7 is checked at every bounce
      expect(coverage.staticLeaderRestarts).toBe(restarts + 1);
      expect(coverage.skippedAssignments).toBe(skipped + (v9 ? 1 : 0));
      const after = sim.h.c.describeState().find((g) => g.groupId === G)!;
      expect(after).toMatchObject({ state: 'Stable', generation: before.generation });
      expect(after.members.map((m) => m.groupInstanceId).sort()).toEqual(['inst-0', 'inst-1', 'inst-2', 'inst-3']);
      expect(after.members.every((m) => !before.members.some((b) => b.memberId === m.memberId))).toBe(true); // every id replaced
      sim.drain();
    });
  }

  it('a leader that joins and never syncs is removed; the others go on without it, and it can come back', () => {
    const sim = new Sim(4, [false, false, false, false], 0, 11);
    sim.step({ t: 'stall', clients: 3, skip: 0, flush: true }); // client 0 joins first: the leader
    expect(sim.h.c.counters().pendingSyncMembersRemovedTotal).toBeGreaterThan(0);
    expect(sim.h.c.counters().membersExpiredTotal).toBe(0); // everyone heartbeated: no session expired
    sim.step({ t: 'settle', clients: 3, flush: true, crash: false });
    const view = sim.h.c.describeState().find((g) => g.groupId === G)!;
    expect(view.state).toBe('Stable');
    expect(view.members).toHaveLength(3);
    sim.drain();
  });

  it('a coordinator that is not loaded answers COORDINATOR_LOAD_IN_PROGRESS to every request type', () => {
    const c = new GroupCoordinator({ random: seededRandom(3) });
    const out = [
      ...c.heartbeat(1, { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null }, 0),
      ...c.syncGroup(2, { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, 0),
      ...c.leaveGroup(3, { groupId: G, members: [{ memberId: 'm', groupInstanceId: null, reason: null }] }, 0),
      ...c.listGroups(4, { statesFilter: [], typesFilter: [] }, 0),
      ...c.describeGroups(5, { groups: [G] }, 0),
      ...c.deleteGroups(6, { groupsNames: [G] }, 0),
      ...c.offsetDelete(7, { groupId: G, topics: [] }, 0),
    ];
    const codes = out.map((a) => {
      if (a.type !== 'respond') throw new Error('no appends while loading');
      const b = a.response.body as unknown as { errorCode?: number; groups?: { errorCode: number }[]; results?: { errorCode: number }[] };
      return b.errorCode ?? b.groups?.[0]?.errorCode ?? b.results?.[0]?.errorCode;
    });
    expect(codes).toEqual([E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS]);
    expect(c.nextTickAtMs()).toBeNull();
  });
});
