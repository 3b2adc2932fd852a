/**
 * LeaderReplica: one partition this broker leads, for one leader epoch (Kafka's
 * `Partition` on the leader side). Pure: events in, actions out; time arrives as `nowMs`.
 *
 * Invariants:
 * - the high watermark never decreases (it lives for one leader epoch; a new epoch gets a
 *   new LeaderReplica), never passes the local log end offset, and is at most the log end
 *   offset of every member of the maximal ISR: HW = max(HW, min LEO over the maximal ISR);
 * - the maximal ISR is the ISR in force (the latest partition state's) united with the
 *   pending proposal's: a member being added counts for the HW as soon as it is proposed,
 *   a member being removed until a state without it arrives (Kafka's `maximalIsr`), so
 *   every member of the controller's ISR holds every record below the HW;
 * - at most one ISR proposal is pending; it is forgotten only on a definite `not-applied`
 *   or when a state with a higher partition epoch arrives (then its fate is in that state);
 * - an ISR member is proposed out only after `replicaLagTimeMaxMs` without catching up; a
 *   replica is proposed in when its LEO reaches both the HW and this epoch's start offset;
 * - a fetch whose last fetched epoch diverges from the local log changes no follower state;
 * - every produce waiter is completed exactly once: by the HW, `expireWaiter` or resignation.
 */
import { ErrorCode } from '@samsa/codec';
import type { EpochHistory } from './epoch-history.ts';
import { FollowerProgress } from './follower-progress.ts';
import type { AlterPartitionResult, FollowerFetch, IsrProposal, LeaderAction, LeaderFetchDecision, LeaderReplicaConfig, LeaderReplicaInit } from './leader-types.ts';
import { assertPartitionState, type PartitionState } from './partition-state.ts';
import { ProduceWaiters } from './produce-waiters.ts';

export const DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;
export const DEFAULT_WAITERS_MAX = 10_000;
export const DEFAULT_ISR_PROPOSAL_BACKOFF_MS = 500;

interface PendingProposal {
  readonly proposal: IsrProposal;
  /** Awaiting `alterPartitionCompleted` for it (false: sent again after the backoff). */
  awaitingResult: boolean;
}

export class LeaderReplica {
  readonly localBrokerId: number;
  readonly leaderEpoch: number;
  /** Log end offset when this epoch began: a follower joins the ISR only once it has reached it. */
  readonly epochStartOffset: number;
  readonly #config: Required<Omit<LeaderReplicaConfig, 'plantedBug'>> & Pick<LeaderReplicaConfig, 'plantedBug'>;
  readonly #history: EpochHistory;
  readonly #followers = new Map<number, FollowerProgress>();
  readonly #waiters: ProduceWaiters;
  #state: PartitionState;
  #pending: PendingProposal | null = null;
  #nextProposalId = 1;
  #proposalBackoffUntilMs = 0;
  #logEndOffset: number;
  #logStartOffset: number;
  #highWatermark: number;
  #resigned = false;

  constructor(init: LeaderReplicaInit) {
    assertPartitionState(init.state);
    if (init.state.leader !== init.localBrokerId) throw new Error(`broker ${init.localBrokerId} is not the leader of ${JSON.stringify(init.state)}`);
    assertOffset(init.logEndOffset, 'log end offset');
    assertOffset(init.logStartOffset, 'log start offset');
    assertOffset(init.highWatermark, 'high watermark');
    if (init.highWatermark > init.logEndOffset) throw new RangeError(`high watermark ${init.highWatermark} above the log end offset ${init.logEndOffset}`);
    const c = init.config ?? {};
    this.#config = {
      replicaLagTimeMaxMs: c.replicaLagTimeMaxMs ?? DEFAULT_REPLICA_LAG_TIME_MAX_MS,
      waitersMax: c.waitersMax ?? DEFAULT_WAITERS_MAX,
      isrProposalBackoffMs: c.isrProposalBackoffMs ?? DEFAULT_ISR_PROPOSAL_BACKOFF_MS,
      plantedBug: c.plantedBug,
    };
    this.localBrokerId = init.localBrokerId;
    this.leaderEpoch = init.state.leaderEpoch;
    this.epochStartOffset = init.logEndOffset;
    this.#history = init.epochHistory;
    this.#waiters = new ProduceWaiters(this.#config.waitersMax);
    this.#state = init.state;
    this.#logEndOffset = init.logEndOffset;
    this.#logStartOffset = init.logStartOffset;
    this.#highWatermark = init.highWatermark;
    this.#syncFollowers(init.nowMs);
  }

  get partitionState(): PartitionState {
    return this.#state;
  }
  get highWatermark(): number {
    return this.#highWatermark;
  }
  get logEndOffset(): number {
    return this.#logEndOffset;
  }
  get resigned(): boolean {
    return this.#resigned;
  }
  get pendingProposal(): IsrProposal | null {
    return this.#pending?.proposal ?? null;
  }
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** The ISR in force united with the pending proposal's (see the file comment). */
  maximalIsr(): readonly number[] {
    if (this.#pending === null) return this.#state.isr;
    const out = [...this.#state.isr];
    for (const id of this.#pending.proposal.isr) if (!out.includes(id)) out.push(id);
    return out;
  }

  /** What the leader knows of a follower; null for a broker that is not a follower replica. */
  follower(replicaId: number): Readonly<FollowerProgress> | null {
    return this.#followers.get(replicaId) ?? null;
  }

  /** Pre-append check of an acks=all produce: NOT_ENOUGH_REPLICAS when the ISR in force is below `minIsr`. */
  checkEnoughReplicas(minIsr: number): number {
    if (this.#resigned) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return this.#state.isr.length >= minIsr ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS;
  }

  /** The local log now ends at `logEndOffset` (an append's last offset + 1). */
  localAppended(logEndOffset: number): LeaderAction[] {
    if (this.#resigned) return [];
    assertOffset(logEndOffset, 'log end offset');
    if (logEndOffset < this.#logEndOffset) throw new RangeError(`leader log end offset went back from ${this.#logEndOffset} to ${logEndOffset}`);
    this.#logEndOffset = logEndOffset;
    return this.#maybeIncrementHighWatermark();
  }

  /** The local log start moved (retention, DeleteRecords). */
  logStartAdvanced(logStartOffset: number): void {
    assertOffset(logStartOffset, 'log start offset');
    this.#logStartOffset = Math.max(this.#logStartOffset, logStartOffset);
  }

  /**
   * A follower's fetch: validates it (epochs, replica, divergence, range) and, when it is
   * answered with records, records the follower's position; that may advance the HW and
   * propose the follower into the ISR.
   */
  followerFetch(fetch: FollowerFetch, nowMs: number): { decision: LeaderFetchDecision; actions: LeaderAction[] } {
    const refuse = (errorCode: number) => ({ decision: this.#decision(errorCode, null), actions: [] });
    if (this.#resigned) return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (fetch.currentLeaderEpoch < this.leaderEpoch) return refuse(ErrorCode.FENCED_LEADER_EPOCH);
    if (fetch.currentLeaderEpoch > this.leaderEpoch) return refuse(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const follower = this.#followers.get(fetch.replicaId);
    if (follower === undefined) return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (!Number.isSafeInteger(fetch.fetchOffset) || fetch.fetchOffset < 0) return refuse(ErrorCode.OFFSET_OUT_OF_RANGE);
    if (fetch.lastFetchedEpoch !== null) {
      // KIP-320: compare the follower's last epoch with ours before trusting its offset.
      const end = this.#history.endOffsetFor(fetch.lastFetchedEpoch);
      if (end === null || fetch.fetchOffset < this.#logStartOffset) return refuse(ErrorCode.OFFSET_OUT_OF_RANGE);
      if (end.epoch < fetch.lastFetchedEpoch || end.endOffset < fetch.fetchOffset) {
        return { decision: this.#decision(ErrorCode.NONE, { epoch: end.epoch, endOffset: end.endOffset }), actions: [] };
      }
    }
    if (fetch.fetchOffset < this.#logStartOffset || fetch.fetchOffset > this.#logEndOffset) return refuse(ErrorCode.OFFSET_OUT_OF_RANGE);
    follower.updateFetchState(fetch.fetchOffset, fetch.logStartOffset, fetch.replicaIncarnation, nowMs, this.#logEndOffset);
    const actions = this.#maybeExpandIsr(follower);
    actions.push(...this.#maybeIncrementHighWatermark());
    return { decision: this.#decision(ErrorCode.NONE, null), actions };
  }

  /** Time passes: proposes lagging followers out of the ISR; after an unknown outcome, proposes again. */
  tick(nowMs: number): LeaderAction[] {
    if (this.#resigned) return [];
    if (nowMs < this.#proposalBackoffUntilMs) return [];
    if (this.#pending !== null) {
      if (this.#pending.awaitingResult) return [];
      // An unanswered shrink is decided again (the follower may have caught up since):
      // the maximal ISR does not depend on it. An unanswered expansion is sent as it was,
      // since it may have been applied and the HW keeps counting its new member.
      if (!this.#pending.proposal.isr.every((id) => this.#state.isr.includes(id))) {
        this.#pending.awaitingResult = true;
        return [{ type: 'proposeIsr', proposal: this.#pending.proposal }];
      }
      this.#pending = null;
    }
    const outOfSync = this.#state.isr.filter((id) => id !== this.localBrokerId && !this.#inSync(id, nowMs));
    if (outOfSync.length === 0) return [];
    return [this.#propose(this.#state.isr.filter((id) => !outOfSync.includes(id)))];
  }

  /**
   * A partition state from the cluster view (in view order). Another leader or leader
   * epoch: this replica resigns (waiters answered NOT_LEADER_OR_FOLLOWER). The same epoch
   * with a higher partition epoch: the ISR and replicas in force change.
   */
  partitionStateChanged(state: PartitionState, nowMs: number): LeaderAction[] {
    if (this.#resigned) return [];
    assertPartitionState(state);
    if (state.leaderEpoch < this.leaderEpoch) return [];
    if (state.leader !== this.localBrokerId || state.leaderEpoch !== this.leaderEpoch) return this.#resign(state);
    if (state.partitionEpoch <= this.#state.partitionEpoch) return [];
    this.#state = state;
    if (this.#pending !== null && state.partitionEpoch > this.#pending.proposal.partitionEpoch) this.#pending = null;
    this.#syncFollowers(nowMs);
    return this.#maybeIncrementHighWatermark();
  }

  /** The fate of proposal `proposalId` (results for any other proposal are ignored). */
  alterPartitionCompleted(proposalId: number, result: AlterPartitionResult, nowMs: number): LeaderAction[] {
    if (this.#resigned || this.#pending === null || this.#pending.proposal.proposalId !== proposalId) return [];
    switch (result.outcome) {
      case 'applied':
        return this.partitionStateChanged(result.state, nowMs);
      case 'not-applied':
        this.#pending = null;
        this.#proposalBackoffUntilMs = nowMs + this.#config.isrProposalBackoffMs;
        // The HW may only have been held back by a member that is not joining after all:
        // it does not move back, and it can advance now.
        return this.#maybeIncrementHighWatermark();
      case 'stale':
        // Wait for the newer state: partitionStateChanged clears the proposal.
        this.#pending.awaitingResult = true;
        return [];
      case 'unknown':
        this.#pending.awaitingResult = false;
        this.#proposalBackoffUntilMs = nowMs + this.#config.isrProposalBackoffMs;
        return [];
    }
  }

  /**
   * An acks=all produce appended its records below `requiredOffset` (last offset + 1) and
   * waits for the HW to pass them. Other acks values complete at once. A full waiter queue
   * answers REQUEST_TIMED_OUT at once (the records stay in the log, as after a timeout).
   */
  awaitHighWatermark(requestId: number, requiredOffset: number, requiredAcks: number, minIsr: number): LeaderAction[] {
    if (this.#resigned) return [complete(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER)];
    if (requiredAcks !== -1) return [complete(requestId, ErrorCode.NONE)];
    if (this.#highWatermark >= requiredOffset) return [complete(requestId, this.#ackError(minIsr))];
    if (!this.#waiters.add({ requestId, requiredOffset, minIsr })) return [complete(requestId, ErrorCode.REQUEST_TIMED_OUT)];
    return [];
  }

  /** The broker's timeout for a waiter fired: answers REQUEST_TIMED_OUT if it still waits. */
  expireWaiter(requestId: number): LeaderAction[] {
    return this.#waiters.remove(requestId) ? [complete(requestId, ErrorCode.REQUEST_TIMED_OUT)] : [];
  }

  #decision(errorCode: number, divergingEpoch: LeaderFetchDecision['divergingEpoch']): LeaderFetchDecision {
    return { errorCode, divergingEpoch, highWatermark: this.#highWatermark, logStartOffset: this.#logStartOffset, logEndOffset: this.#logEndOffset };
  }

  #inSync(replicaId: number, nowMs: number): boolean {
    const f = this.#followers.get(replicaId);
    if (f === undefined) return false;
    if (this.#config.plantedBug === 'shrink-without-lag') return f.logEndOffset === this.#logEndOffset;
    return f.isCaughtUp(this.#logEndOffset, nowMs, this.#config.replicaLagTimeMaxMs);
  }

  #ackError(minIsr: number): number {
    return this.maximalIsr().length >= minIsr ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  #maybeExpandIsr(follower: FollowerProgress): LeaderAction[] {
    if (this.#pending !== null || this.#state.isr.includes(follower.replicaId)) return [];
    if (follower.logEndOffset < this.#highWatermark || follower.logEndOffset < this.epochStartOffset) return [];
    // Checked only now: an eligible follower is rare, a backoff is rarer still.
    if (this.#proposalBackoffUntilMs > follower.lastFetchTimeMs) return [];
    return [this.#propose([...this.#state.isr, follower.replicaId])];
  }

  #propose(isr: readonly number[]): LeaderAction {
    const incarnations: Record<number, string> = {};
    for (const id of isr) {
      const inc = this.#followers.get(id)?.incarnation;
      if (inc !== undefined && inc !== null) incarnations[id] = inc;
    }
    const proposal: IsrProposal = {
      proposalId: this.#nextProposalId++,
      leaderEpoch: this.leaderEpoch,
      partitionEpoch: this.#state.partitionEpoch,
      isr,
      incarnations,
    };
    this.#pending = { proposal, awaitingResult: true };
    return { type: 'proposeIsr', proposal };
  }

  #maybeIncrementHighWatermark(): LeaderAction[] {
    let candidate = this.#logEndOffset;
    if (this.#config.plantedBug !== 'hw-is-leader-leo') {
      for (const id of this.maximalIsr()) {
        if (id === this.localBrokerId) continue;
        candidate = Math.min(candidate, this.#followers.get(id)?.logEndOffset ?? -1);
      }
    }
    if (candidate <= this.#highWatermark) return [];
    this.#highWatermark = candidate;
    const actions: LeaderAction[] = [{ type: 'hwAdvanced', highWatermark: candidate }];
    for (const w of this.#waiters.takeReached(candidate)) actions.push(complete(w.requestId, this.#ackError(w.minIsr)));
    return actions;
  }

  /** Followers = replicas other than this broker; new ones start unknown (caught up now if in the ISR). */
  #syncFollowers(nowMs: number): void {
    for (const id of [...this.#followers.keys()]) if (!this.#state.replicas.includes(id)) this.#followers.delete(id);
    for (const id of this.#state.replicas) {
      if (id === this.localBrokerId || this.#followers.has(id)) continue;
      this.#followers.set(id, new FollowerProgress(id, this.#state.isr.includes(id) ? nowMs : 0));
    }
  }

  #resign(state: PartitionState): LeaderAction[] {
    this.#resigned = true;
    this.#pending = null;
    const actions: LeaderAction[] = this.#waiters.takeAll().map((w) => complete(w.requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    actions.push({ type: 'resigned', state });
    return actions;
  }
}

function complete(requestId: number, errorCode: number): LeaderAction {
  return { type: 'completeWaiter', requestId, errorCode };
}

function assertOffset(offset: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${offset}`);
}
