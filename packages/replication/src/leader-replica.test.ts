import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@samsa/codec';
import { LeaderReplica } from './leader-replica.ts';
import type { FollowerFetch, LeaderAction, LeaderReplicaConfig } from './leader-types.ts';
import type { PartitionState } from './partition-state.ts';
import { ModelLog } from './testing/model-log.ts';

const LAG = 1000;
const base: PartitionState = { leader: 1, leaderEpoch: 5, partitionEpoch: 10, replicas: [1, 2, 3], isr: [1, 2, 3] };

/** A leader at epoch 5 whose log holds `leo` records of epoch 4 (and epoch 5 from `leo`). */
function leader(opts: { state?: PartitionState; leo?: number; hw?: number; nowMs?: number; config?: LeaderReplicaConfig } = {}) {
  const log = new ModelLog();
  log.append(Array.from({ length: opts.leo ?? 10 }, (_, i) => ({ epoch: 4, value: i })));
  log.assign(5, log.logEndOffset());
  const lr = new LeaderReplica({
    localBrokerId: 1,
    state: opts.state ?? base,
    logEndOffset: log.logEndOffset(),
    logStartOffset: 0,
    highWatermark: opts.hw ?? 0,
    epochHistory: log,
    nowMs: opts.nowMs ?? 0,
    config: { replicaLagTimeMaxMs: LAG, isrProposalBackoffMs: 100, ...opts.config },
  });
  return { lr, log };
}

function fetch(replicaId: number, fetchOffset: number, more: Partial<FollowerFetch> = {}): FollowerFetch {
  return { replicaId, replicaIncarnation: `inc-${replicaId}`, fetchOffset, lastFetchedEpoch: 4, currentLeaderEpoch: 5, logStartOffset: 0, ...more };
}

/** Appends records of epoch 5 up to `logEndOffset` and tells the leader. */
function append(lr: LeaderReplica, log: ModelLog, logEndOffset: number): LeaderAction[] {
  while (log.logEndOffset() < logEndOffset) log.append([{ epoch: 5, value: log.logEndOffset() }]);
  return lr.localAppended(logEndOffset);
}

const hws = (actions: readonly LeaderAction[]) => actions.flatMap((a) => (a.type === 'hwAdvanced' ? [a.highWatermark] : []));
const proposals = (actions: readonly LeaderAction[]) => actions.flatMap((a) => (a.type === 'proposeIsr' ? [a.proposal] : []));
const completions = (actions: readonly LeaderAction[]) => actions.flatMap((a) => (a.type === 'completeWaiter' ? [[a.requestId, a.errorCode]] : []));

describe('LeaderReplica high watermark', () => {
  it('is the minimum LEO over the ISR, unknown followers holding it back', () => {
    const { lr } = leader();
    expect(hws(lr.followerFetch(fetch(2, 8), 1).actions)).toEqual([]); // 3 still unknown
    expect(hws(lr.followerFetch(fetch(3, 6), 2).actions)).toEqual([6]);
    expect(hws(lr.followerFetch(fetch(3, 10), 3).actions)).toEqual([8]);
    expect(lr.highWatermark).toBe(8);
  });

  it('never moves back, even when a follower reports a lower offset', () => {
    const { lr } = leader();
    lr.followerFetch(fetch(2, 10), 1);
    lr.followerFetch(fetch(3, 10), 1);
    expect(lr.highWatermark).toBe(10);
    expect(lr.followerFetch(fetch(3, 4, { lastFetchedEpoch: 4 }), 2).actions).toEqual([]);
    expect(lr.highWatermark).toBe(10);
    expect(lr.follower(3)!.logEndOffset).toBe(4);
  });

  it('with the leader alone in the ISR follows local appends', () => {
    const { lr } = leader({ state: { ...base, isr: [1] } });
    expect(hws(lr.localAppended(10))).toEqual([10]);
    expect(hws(lr.localAppended(15))).toEqual([15]);
    expect(() => lr.localAppended(14)).toThrow(RangeError);
  });

  it('counts a member whose addition is pending (maximal ISR)', () => {
    const { lr, log } = leader({ state: { ...base, isr: [1, 2] }, hw: 10 });
    lr.followerFetch(fetch(2, 10), 1);
    const p = proposals(lr.followerFetch(fetch(3, 10), 1).actions);
    expect(p.map((x) => x.isr)).toEqual([[1, 2, 3]]);
    expect(lr.maximalIsr()).toEqual([1, 2, 3]);
    append(lr, log, 12);
    expect(hws(lr.followerFetch(fetch(2, 12, { lastFetchedEpoch: 5 }), 2).actions)).toEqual([]); // 3 is at 10
    expect(hws(lr.followerFetch(fetch(3, 12, { lastFetchedEpoch: 5 }), 3).actions)).toEqual([12]);
  });
});

describe('LeaderReplica follower fetch validation', () => {
  it('fences other leader epochs and unknown replicas without recording anything', () => {
    const { lr } = leader();
    expect(lr.followerFetch(fetch(2, 10, { currentLeaderEpoch: 4 }), 1).decision.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(lr.followerFetch(fetch(2, 10, { currentLeaderEpoch: 6 }), 1).decision.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(lr.followerFetch(fetch(7, 10), 1).decision.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(lr.followerFetch(fetch(2, 11, { lastFetchedEpoch: null }), 1).decision.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(lr.followerFetch(fetch(2, 3, { lastFetchedEpoch: 9 }), 1).decision.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE); // epoch unknown here
    expect(lr.follower(2)!.logEndOffset).toBe(-1);
  });

  it('answers a diverging epoch (KIP-320) and does not take the offset as the follower LEO', () => {
    const { lr } = leader({ leo: 10 });
    // The follower wrote epoch 4 up to 14: ours ends at 10.
    const d1 = lr.followerFetch(fetch(2, 14, { lastFetchedEpoch: 4 }), 1);
    expect(d1.decision).toMatchObject({ errorCode: ErrorCode.NONE, divergingEpoch: { epoch: 4, endOffset: 10 } });
    // The follower has an epoch 3 we never had: the largest below is answered (ours: none, so epoch 3 ends where 4 starts).
    const d2 = lr.followerFetch(fetch(2, 5, { lastFetchedEpoch: 3 }), 1);
    expect(d2.decision.divergingEpoch).toEqual({ epoch: 3, endOffset: 0 });
    expect(lr.follower(2)!.logEndOffset).toBe(-1);
    expect(lr.followerFetch(fetch(2, 10, { lastFetchedEpoch: 4 }), 1).decision.divergingEpoch).toBeNull();
    expect(lr.follower(2)!.logEndOffset).toBe(10);
  });
});

describe('LeaderReplica ISR changes', () => {
  it('proposes a follower out only after the lag time without catching up (Kafka rule)', () => {
    const { lr, log } = leader({ leo: 10 });
    lr.followerFetch(fetch(2, 10), 100); // caught up at 100
    lr.followerFetch(fetch(3, 10), 100);
    append(lr, log, 20);
    lr.followerFetch(fetch(3, 10), 500); // 3 asks again from 10 < 20: not caught up; LEO at its previous fetch was 10 → caught up as of 100
    expect(lr.tick(1100)).toEqual([]);
    const p = proposals(lr.tick(1101));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ leaderEpoch: 5, partitionEpoch: 10, isr: [1] });
  });

  it('credits a fetch that reached the LEO of the previous fetch with that fetch time', () => {
    const { lr, log } = leader({ leo: 10 });
    lr.followerFetch(fetch(2, 10), 100);
    lr.followerFetch(fetch(3, 10), 100);
    append(lr, log, 20);
    lr.followerFetch(fetch(2, 15, { lastFetchedEpoch: 5 }), 900); // ≥ 10 (LEO at its fetch at 100): caught up as of 100
    lr.followerFetch(fetch(2, 18, { lastFetchedEpoch: 5 }), 1050); // ≥ 20? no; ≥ 20 (LEO at 900)? no
    lr.followerFetch(fetch(3, 20, { lastFetchedEpoch: 5 }), 1050); // has everything
    expect(lr.follower(2)!.lastCaughtUpTimeMs).toBe(100);
    expect(proposals(lr.tick(1101)).map((p) => p.isr)).toEqual([[1, 3]]);
  });

  it('proposes a follower in when it reaches the HW and the epoch start, one proposal at a time', () => {
    const { lr } = leader({ state: { ...base, isr: [1] }, leo: 10, hw: 10 });
    expect(proposals(lr.followerFetch(fetch(2, 9), 1).actions)).toEqual([]);
    const p = proposals(lr.followerFetch(fetch(2, 10), 2).actions);
    expect(p.map((x) => [x.isr, x.incarnations])).toEqual([[[1, 2], { 2: 'inc-2' }]]);
    expect(proposals(lr.followerFetch(fetch(3, 10), 3).actions)).toEqual([]); // one in flight
    expect(lr.pendingProposal?.proposalId).toBe(p[0]!.proposalId);
  });

  it('does not propose a follower below the epoch start offset, even when it reached the HW', () => {
    const { lr } = leader({ state: { ...base, isr: [1] }, leo: 10, hw: 4 });
    expect(proposals(lr.followerFetch(fetch(2, 8), 1).actions)).toEqual([]);
    expect(proposals(lr.followerFetch(fetch(2, 10), 2).actions)).toHaveLength(1);
  });

  it('takes the ISR from the latest state, keeps a stale proposal counted until a newer state, forgets a not-applied one', () => {
    const { lr } = leader({ state: { ...base, isr: [1] }, leo: 10, hw: 10 });
    const [p] = proposals(lr.followerFetch(fetch(2, 10), 1).actions);
    expect(lr.alterPartitionCompleted(p!.proposalId, { outcome: 'stale' }, 2)).toEqual([]);
    expect(lr.maximalIsr()).toEqual([1, 2]);
    expect(lr.partitionState.isr).toEqual([1]);
    lr.partitionStateChanged({ ...base, isr: [1], partitionEpoch: 11 }, 3); // newer state without 2
    expect(lr.pendingProposal).toBeNull();
    expect(lr.maximalIsr()).toEqual([1]);
    const [q] = proposals(lr.followerFetch(fetch(2, 10), 4).actions);
    expect(q).toMatchObject({ partitionEpoch: 11, isr: [1, 2] });
    lr.alterPartitionCompleted(q!.proposalId, { outcome: 'not-applied' }, 5);
    expect(lr.pendingProposal).toBeNull();
    expect(proposals(lr.followerFetch(fetch(2, 10), 50).actions)).toEqual([]); // backing off
    expect(proposals(lr.followerFetch(fetch(2, 10), 105).actions)).toHaveLength(1);
  });

  it('applies an applied proposal and ignores results for other proposals', () => {
    const { lr } = leader({ state: { ...base, isr: [1] }, leo: 10, hw: 10 });
    const [p] = proposals(lr.followerFetch(fetch(2, 10), 1).actions);
    expect(lr.alterPartitionCompleted(p!.proposalId + 1, { outcome: 'not-applied' }, 2)).toEqual([]);
    lr.alterPartitionCompleted(p!.proposalId, { outcome: 'applied', state: { ...base, isr: [1, 2], partitionEpoch: 11 } }, 2);
    expect(lr.partitionState).toMatchObject({ isr: [1, 2], partitionEpoch: 11 });
    expect(lr.pendingProposal).toBeNull();
  });

  it('sends an unanswered expansion again as it was after the backoff', () => {
    const { lr } = leader({ state: { ...base, isr: [1] }, leo: 10, hw: 10 });
    const [p] = proposals(lr.followerFetch(fetch(2, 10), 1).actions);
    lr.alterPartitionCompleted(p!.proposalId, { outcome: 'unknown' }, 10);
    expect(lr.maximalIsr()).toEqual([1, 2]);
    expect(lr.tick(50)).toEqual([]);
    expect(proposals(lr.tick(110))).toEqual([p]);
  });

  it('decides an unanswered shrink again: a follower that caught up meanwhile stays', () => {
    const { lr, log } = leader({ leo: 10 });
    lr.followerFetch(fetch(2, 10), 0);
    lr.followerFetch(fetch(3, 10), 0);
    append(lr, log, 20);
    const [p] = proposals(lr.tick(1001));
    expect(p!.isr).toEqual([1]);
    lr.alterPartitionCompleted(p!.proposalId, { outcome: 'unknown' }, 1001);
    lr.followerFetch(fetch(2, 20, { lastFetchedEpoch: 5 }), 1050); // 2 caught up
    const again = proposals(lr.tick(1200));
    expect(again.map((x) => x.isr)).toEqual([[1, 2]]);
  });
});

describe('LeaderReplica produce waiters', () => {
  it('completes acks=all when the HW passes the records, with the min ISR judged then', () => {
    const { lr, log } = leader({ leo: 10, hw: 10 });
    lr.followerFetch(fetch(2, 10), 0);
    lr.followerFetch(fetch(3, 10), 0);
    append(lr, log, 12);
    expect(lr.checkEnoughReplicas(2)).toBe(ErrorCode.NONE);
    expect(lr.awaitHighWatermark(1, 12, -1, 2)).toEqual([]);
    expect(lr.awaitHighWatermark(2, 12, -1, 3)).toEqual([]);
    expect(completions(lr.followerFetch(fetch(2, 12, { lastFetchedEpoch: 5 }), 1).actions)).toEqual([]);
    // 3 is removed from the ISR: the HW only needs 2 now, and min ISR 3 is no longer met.
    const done = lr.partitionStateChanged({ ...base, isr: [1, 2], partitionEpoch: 11 }, 2);
    expect(hws(done)).toEqual([12]);
    expect(completions(done)).toEqual([[1, ErrorCode.NONE], [2, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]]);
    expect(lr.checkEnoughReplicas(3)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
  });

  it('answers at once when already reached, for acks other than all, when full, and on expiry', () => {
    const { lr } = leader({ leo: 10, hw: 10, config: { waitersMax: 1 } });
    expect(completions(lr.awaitHighWatermark(1, 10, -1, 1))).toEqual([[1, ErrorCode.NONE]]);
    expect(completions(lr.awaitHighWatermark(2, 11, 1, 1))).toEqual([[2, ErrorCode.NONE]]);
    expect(lr.awaitHighWatermark(3, 11, -1, 1)).toEqual([]);
    expect(completions(lr.awaitHighWatermark(4, 11, -1, 1))).toEqual([[4, ErrorCode.REQUEST_TIMED_OUT]]);
    expect(() => lr.awaitHighWatermark(3, 11, -1, 1)).toThrow(/already waits/);
    expect(completions(lr.expireWaiter(3))).toEqual([[3, ErrorCode.REQUEST_TIMED_OUT]]);
    expect(lr.expireWaiter(3)).toEqual([]);
    expect(lr.waiterCount).toBe(0);
  });

  it('resigns on another leader or epoch: waiters answered NOT_LEADER_OR_FOLLOWER, later events ignored', () => {
    const { lr } = leader({ leo: 10, hw: 10 });
    lr.awaitHighWatermark(1, 11, -1, 1);
    expect(lr.partitionStateChanged({ ...base, leaderEpoch: 4, partitionEpoch: 12 }, 1)).toEqual([]); // older epoch: stale
    const out = lr.partitionStateChanged({ ...base, leader: 2, leaderEpoch: 6, partitionEpoch: 12 }, 1);
    expect(completions(out)).toEqual([[1, ErrorCode.NOT_LEADER_OR_FOLLOWER]]);
    expect(out.at(-1)).toMatchObject({ type: 'resigned' });
    expect(lr.resigned).toBe(true);
    expect(lr.followerFetch(fetch(2, 10), 2).decision.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(lr.checkEnoughReplicas(1)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(lr.tick(10_000)).toEqual([]);
  });

  it('tracks replica changes: a new replica starts unknown and out of sync, a removed one is forgotten', () => {
    const { lr } = leader({ leo: 10, hw: 10 });
    lr.partitionStateChanged({ ...base, replicas: [1, 2, 4], isr: [1, 2], partitionEpoch: 11 }, 5);
    expect(lr.follower(3)).toBeNull();
    expect(lr.follower(4)).toMatchObject({ logEndOffset: -1, lastCaughtUpTimeMs: 0 });
    expect(lr.followerFetch(fetch(3, 10), 6).decision.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('refuses an invalid initial state', () => {
    expect(() => leader({ state: { ...base, leader: 2 } })).toThrow(/not the leader/);
    expect(() => leader({ state: { ...base, isr: [1, 5] } })).toThrow(/not a replica/);
    expect(() => leader({ hw: 11 })).toThrow(RangeError);
  });
});
