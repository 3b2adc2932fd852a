/**
 * InMemoryLogStore: a PartitionLogStore that keeps every partition's batches in memory.
 * For tests, simulations and embedding a throwaway broker; nothing survives `close()`
 * unless the same store object is handed to the next broker (which models a clean
 * restart: the logs are still there, producer state is rebuilt from them).
 *
 * Semantics follow the PartitionLog contract: appends assign offsets in place (copying
 * the batch first, so the request buffer is not retained), reads return whole batches
 * (at least one), offsetForTimestamp follows ListOffsets. Memory is bounded only by what
 * callers append — do not use it for load.
 */
import {
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchRecordCount,
  iterateRecords,
  setBatchBaseOffset,
  setBatchMaxTimestampAndLogAppendTime,
  setBatchPartitionLeaderEpoch,
  splitRecordBatches,
} from '@samsa/codec';
import { validateAppend } from '@samsa/log';
import type { Clock } from '@samsa/runtime';
import type { AppendResult, PartitionLog, PartitionLogConfig, PartitionLogStore, TimestampLookup } from './partition-log.ts';

class LogStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface StoredBatch {
  readonly bytes: Uint8Array;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

class InMemoryLog implements PartitionLog {
  batches: StoredBatch[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  config: PartitionLogConfig;
  /** `topic-partition`, for record error messages. */
  readonly name: string;
  readonly #clock: Clock;

  constructor(name: string, config: PartitionLogConfig, clock: Clock) {
    this.name = name;
    this.config = config;
    this.#clock = clock;
  }

  get sizeBytes(): number {
    return this.batches.reduce((n, b) => n + b.bytes.byteLength, 0);
  }

  async append(input: Uint8Array): Promise<AppendResult> {
    // The same validation and leader checks as @samsa/log's append (framing, CRC, size;
    // maxTimestamp corrected on create-time topics; keys required on compacted ones),
    // with the same typed errors.
    validateAppend(input, this.config.maxMessageBytes, {
      createTime: !this.config.logAppendTime,
      keysRequired: this.config.cleanupPolicy.includes('compact'),
      logName: this.name,
    });
    const { batches } = splitRecordBatches(input);
    const baseOffset = this.logEndOffset;
    const nowMs = this.#clock.wallMs();
    for (const original of batches) {
      const b = original.slice();
      const base = this.logEndOffset;
      setBatchBaseOffset(b, 0, base);
      setBatchPartitionLeaderEpoch(b, 0, 0);
      if (this.config.logAppendTime) setBatchMaxTimestampAndLogAppendTime(b, 0, nowMs);
      const last = base + batchLastOffsetDelta(b, 0);
      this.batches.push({ bytes: b, baseOffset: base, lastOffset: last });
      this.logEndOffset = last + 1;
      original.set(b); // the contract: offsets are assigned in place
    }
    return { baseOffset, lastOffset: this.logEndOffset - 1, logAppendTimeMs: this.config.logAppendTime ? nowMs : -1 };
  }

  async read(offset: number, maxBytes: number): Promise<Uint8Array> {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new LogStoreError('offset-out-of-range', `offset ${offset} out of range`);
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.lastOffset < offset) continue;
      if (parts.length > 0 && size + b.bytes.byteLength > maxBytes) break;
      parts.push(b.bytes);
      size += b.bytes.byteLength;
    }
    const out = new Uint8Array(size);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.byteLength;
    }
    return out;
  }

  async offsetForTimestamp(timestampMs: number): Promise<TimestampLookup | null> {
    if (timestampMs === -2) return { offset: this.logStartOffset, timestampMs: -1 };
    if (timestampMs === -1) return { offset: this.logEndOffset, timestampMs: -1 };
    let best: TimestampLookup | null = null;
    for (const b of this.batches) {
      if (b.lastOffset < this.logStartOffset || batchRecordCount(b.bytes, 0) === 0) continue;
      if (timestampMs === -3) {
        const max = batchMaxTimestamp(b.bytes, 0);
        if (best === null || max > best.timestampMs) best = this.#offsetOfTimestamp(b, max);
        continue;
      }
      if (batchMaxTimestamp(b.bytes, 0) < timestampMs) continue;
      for (const r of iterateRecords(b.bytes, 0)) {
        if (r.offset >= this.logStartOffset && r.timestampMs >= timestampMs) return { offset: r.offset, timestampMs: r.timestampMs };
      }
    }
    return best;
  }

  #offsetOfTimestamp(b: StoredBatch, ts: number): TimestampLookup {
    for (const r of iterateRecords(b.bytes, 0)) if (r.timestampMs === ts) return { offset: r.offset, timestampMs: ts };
    return { offset: b.lastOffset, timestampMs: ts };
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    if (offset > this.logEndOffset) throw new LogStoreError('offset-out-of-range', `offset ${offset} beyond end`);
    if (offset > this.logStartOffset) this.logStartOffset = offset;
    this.batches = this.batches.filter((b) => b.lastOffset >= this.logStartOffset);
    return this.logStartOffset;
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

export class InMemoryLogStore implements PartitionLogStore {
  readonly #logs = new Map<string, InMemoryLog>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async open(topic: string, partition: number, config: PartitionLogConfig): Promise<PartitionLog> {
    const key = `${topic}-${partition}`;
    let log = this.#logs.get(key);
    if (!log) {
      log = new InMemoryLog(key, config, this.#clock);
      this.#logs.set(key, log);
    }
    log.config = config;
    return log;
  }

  async remove(topic: string, partition: number): Promise<void> {
    this.#logs.delete(`${topic}-${partition}`);
  }

  reconfigure(log: PartitionLog, config: PartitionLogConfig): void {
    if (log instanceof InMemoryLog) log.config = config;
  }

  async close(): Promise<void> {}
}
