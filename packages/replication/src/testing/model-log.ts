/**
 * ModelLog: a replica's log for the property tests, as an array of (epoch, value) records
 * (the index is the offset) with an epoch cache that follows `@samsa/log`'s
 * LeaderEpochCache rules (assign drops entries that break monotonicity, truncation drops
 * entries starting at or after the truncation point). The log start is always 0.
 */
import type { EpochEndOffset } from '../epoch-history.ts';
import type { FollowerLogView } from '../follower-replica.ts';

export interface ModelRecord {
  readonly epoch: number;
  readonly value: number;
}

export class ModelLog implements FollowerLogView {
  records: ModelRecord[] = [];
  epochs: { epoch: number; start: number }[] = [];
  hw = 0;

  logEndOffset(): number {
    return this.records.length;
  }
  logStartOffset(): number {
    return 0;
  }
  highWatermark(): number {
    return this.hw;
  }
  latestEpoch(): number | null {
    return this.epochs.at(-1)?.epoch ?? null;
  }

  endOffsetFor(epoch: number): EpochEndOffset | null {
    const latest = this.epochs.at(-1);
    if (latest === undefined) return null;
    if (latest.epoch === epoch) return { epoch, endOffset: this.records.length };
    const higher = this.epochs.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return null;
    if (higher === 0) return { epoch, endOffset: this.epochs[0]!.start };
    return { epoch: this.epochs[higher - 1]!.epoch, endOffset: this.epochs[higher]!.start };
  }

  assign(epoch: number, start: number): void {
    const latest = this.epochs.at(-1);
    if (latest !== undefined && latest.epoch === epoch && start >= latest.start) return;
    while (this.epochs.length > 0) {
      const last = this.epochs.at(-1)!;
      if (last.epoch >= epoch || last.start >= start) this.epochs.pop();
      else break;
    }
    this.epochs.push({ epoch, start });
  }

  append(records: readonly ModelRecord[]): void {
    for (const r of records) {
      this.assign(r.epoch, this.records.length);
      this.records.push(r);
    }
  }

  truncateTo(offset: number): void {
    if (offset < this.records.length) this.records.length = offset;
    this.epochs = this.epochs.filter((e) => e.start < offset);
    this.hw = Math.min(this.hw, offset);
  }

  truncateFully(startOffset: number): void {
    if (startOffset !== 0) throw new Error(`the model log always starts at 0, asked for ${startOffset}`);
    this.records = [];
    this.epochs = [];
    this.hw = 0;
  }
}
