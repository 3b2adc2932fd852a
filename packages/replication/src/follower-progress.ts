/**
 * FollowerProgress: what a leader knows of one follower (Kafka's `Replica` state): its log
 * end offset (from its last accepted fetch), log start offset, incarnation, the time of its
 * last fetch with the leader's log end offset at that time, and the last time it was
 * caught up.
 *
 * The caught-up rule (Kafka's `Replica.updateFetchState`): a fetch at `fetchOffset` made at
 * `nowMs` proves the follower caught up at `nowMs` when it asks for nothing the leader did
 * not have (fetchOffset ≥ the leader's current log end offset), and at the time of its
 * previous fetch when fetchOffset ≥ the leader's log end offset as of that previous fetch.
 * `lastCaughtUpTimeMs` never decreases. A follower is in sync for the lag rule when it
 * has the leader's whole log or caught up within `lagTimeMaxMs`.
 *
 * -1 means unknown (a new leader knows nothing of a follower until its first fetch).
 */

export class FollowerProgress {
  readonly replicaId: number;
  logEndOffset = -1;
  logStartOffset = -1;
  incarnation: string | null = null;
  lastFetchLeaderLogEndOffset = -1;
  lastFetchTimeMs = 0;
  lastCaughtUpTimeMs: number;

  /** `lastCaughtUpTimeMs`: the new leader's start time for ISR members (they get a full lag period), else 0. */
  constructor(replicaId: number, lastCaughtUpTimeMs: number) {
    this.replicaId = replicaId;
    this.lastCaughtUpTimeMs = lastCaughtUpTimeMs;
  }

  updateFetchState(fetchOffset: number, logStartOffset: number, incarnation: string | null, nowMs: number, leaderLogEndOffset: number): void {
    if (fetchOffset >= leaderLogEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    this.logEndOffset = fetchOffset;
    this.logStartOffset = logStartOffset;
    this.incarnation = incarnation;
    this.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    this.lastFetchTimeMs = nowMs;
  }

  isCaughtUp(leaderLogEndOffset: number, nowMs: number, lagTimeMaxMs: number): boolean {
    return this.logEndOffset === leaderLogEndOffset || nowMs - this.lastCaughtUpTimeMs <= lagTimeMaxMs;
  }
}
