/**
 * LogDurability: what of one log is on disk — the recovery point, the group commit that
 * moves it, and the flush policy (flush.messages / flush.ms) that asks for syncs.
 *
 * Invariants:
 * - everything below `recoveryPoint` is synced; it moves only after a sync covering it
 *   completed, and never over epochs the epoch cache could not checkpoint (a full disk);
 * - a sync that raced a truncation does not move it (`beginTruncation` bumps a counter
 *   the sync checks), and a truncation lowers it to the new log end;
 * - at most one sync runs at a time (GroupCommit); `settle()` waits for it, so structural
 *   changes that close or remove files never run beside a sync.
 */
import type { Clock, TimerHandle } from '@samsa/runtime';
import { appendNeedsSync, type FlushPolicy } from './flush-policy.ts';
import { GroupCommit } from './group-commit.ts';
import { WRITERS_QUEUED_MAX } from './log-types.ts';
import type { LogLogger } from './logger.ts';

/** What the durability layer needs from its log. */
export interface DurabilityHost {
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: LogLogger;
  /** The log end offset now. */
  readonly endOffset: () => number;
  /** Syncs the segments that may hold [from, to) (LocalLog.syncRange). */
  readonly syncRange: (from: number, to: number) => Promise<void>;
  /** Writes the epoch cache when dirty; false when a full disk left it dirty. */
  readonly flushDirtyEpochs: () => Promise<boolean>;
  /** Turns a sync failure into the log's error (and takes the log offline). */
  readonly classify: (operation: string, e: unknown) => unknown;
  /** False once the log is closed or offline: background flushes stop. */
  readonly usable: () => boolean;
}

export class LogDurability {
  private readonly host: DurabilityHost;
  private readonly groupCommit: GroupCommit;
  private recoveryPointValue: number;
  private flushTimer: TimerHandle | null = null;
  /** Bumped by every truncation, so a sync that raced one does not move the recovery point. */
  private truncations = 0;

  constructor(host: DurabilityHost, recoveryPoint: number, policy: FlushPolicy) {
    this.host = host;
    this.recoveryPointValue = recoveryPoint;
    this.groupCommit = new GroupCommit((end) => this.syncNow(end), host.endOffset, recoveryPoint, WRITERS_QUEUED_MAX);
    this.applyPolicy(policy);
  }

  /** Everything below it is synced to disk. */
  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }

  /** (Re)starts the `interval` policy's timer; other policies need none. */
  applyPolicy(policy: FlushPolicy): void {
    this.stop();
    if (policy.kind === 'interval') this.flushTimer = this.host.clock.setInterval(() => this.flushInBackground(), policy.intervalMs);
  }

  stop(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
  }

  /** After an append: syncs when the policy (or the caller) wants it; true when it did. */
  async maybeSyncAfterAppend(policy: FlushPolicy, requireSync: boolean): Promise<boolean> {
    const end = this.host.endOffset();
    if (!requireSync && !appendNeedsSync(policy, end - this.recoveryPointValue)) return false;
    await this.syncUpTo(end);
    return true;
  }

  /** Resolves once a sync covering `target` completed (group commit). */
  async syncUpTo(target: number): Promise<void> {
    try {
      await this.groupCommit.request(target);
    } catch (e) {
      throw this.host.classify('sync', e);
    }
  }

  /**
   * One sync round: the segments that may hold [recoveryPoint, end), then the recovery
   * point moves to `end` (close calls it directly, under the writer lock).
   */
  async syncNow(end: number): Promise<void> {
    const truncationsAtStart = this.truncations;
    await this.host.syncRange(this.recoveryPointValue, Math.max(end, this.recoveryPointValue + 1));
    // Epochs an append could not checkpoint (a full disk): the recovery point stays below
    // them, so a crash re-derives them from the batches (recovery scans past it).
    if (!(await this.host.flushDirtyEpochs())) return;
    if (this.truncations === truncationsAtStart && end > this.recoveryPointValue) this.recoveryPointValue = Math.min(end, this.host.endOffset());
  }

  /** Waits for the sync in flight, if any (its failure is its callers'). */
  async settle(): Promise<void> {
    const inFlight = this.groupCommit.inFlight;
    if (inFlight !== null) await inFlight.catch(() => undefined);
  }

  /** A truncation starts: a sync in flight must not move the recovery point afterwards. */
  beginTruncation(): void {
    this.truncations++;
  }

  /** A truncation ended at `end` (durably): the recovery point and the group commit follow. */
  truncated(end: number, recoveryPoint = Math.min(this.recoveryPointValue, end)): void {
    this.recoveryPointValue = recoveryPoint;
    this.groupCommit.resetDurableEnd(end);
  }

  private flushInBackground(): void {
    const end = this.host.endOffset();
    if (!this.host.usable() || end <= this.recoveryPointValue) return;
    this.syncUpTo(end).catch((e: unknown) => this.host.logger.warn({ dir: this.host.dir, error: String(e) }, 'background flush failed'));
  }
}
