/**
 * FreeSpaceGuard: low-disk protection for the log dir (after Redpanda's, which Kafka lacks:
 * Kafka takes the whole log dir offline at the first failed write).
 *
 * While the free space of the log dir's file system is below `log.dir.free.bytes.min`, the
 * broker refuses client writes — Produce, CreateTopics, CreatePartitions and auto-creation —
 * with a retriable KAFKA_STORAGE_ERROR, before anything is written. Reads, DeleteTopics,
 * DeleteRecords, retention and the coordinators' own small writes (offset commits) go on,
 * so an operator or retention can free space; once the free space is back above the
 * threshold, writes are admitted again by themselves.
 *
 * Cost: one `FileSystem.freeSpace` (statfs) per `log.dir.free.check.interval.ms` at most,
 * on the produce path only when the cached reading is older than that (concurrent callers
 * share one refresh). Between readings the bytes appended since are subtracted from the
 * reading, so a fast producer cannot overrun the threshold by a whole interval's worth.
 * A write that fails anyway (`noteWriteFailed`) makes the next check read again.
 *
 * The threshold: `log.dir.free.bytes.min` = -1 (default) means min(256 MiB, 5% of the file
 * system), so a 16 MiB test volume keeps ~0.8 MiB and a large disk 256 MiB; 0 turns the
 * refusal off (the 'no-space' path alone remains); any other value is used as given.
 * Where the runtime cannot tell the free space ('unknown': Deno without
 * `--allow-sys=statfs`), writes are never refused here.
 *
 * Not thread-safe by design: one instance per broker, used from its single event loop.
 */
import type { Clock, FileSystem, FreeSpace } from '@samsa/runtime';
import type { ServerConfig } from '../config/server-config.ts';
import type { Logger } from '../observability/logger.ts';

export const FREE_BYTES_MIN_AUTO = -1;
export const FREE_BYTES_MIN_AUTO_CAP = 256 * 1024 * 1024;
export const FREE_BYTES_MIN_AUTO_FRACTION = 0.05;

export interface FreeSpaceGuardOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly logDir: string;
  /** `log.dir.free.bytes.min`: -1 auto, 0 off, else bytes. */
  readonly freeBytesMin: number;
  /** `log.dir.free.check.interval.ms`: how old a reading may be before a write re-reads it. */
  readonly checkIntervalMs: number;
  readonly logger: Logger;
}

/** What /metrics and /healthz show. */
export interface FreeSpaceState {
  /** Free bytes at the last reading (minus bytes appended since); null when unknown. */
  readonly freeBytes: number | null;
  readonly totalBytes: number | null;
  /** The threshold in force (the auto value resolved); 0 = refusal off or unknown. */
  readonly freeBytesMin: number;
  /** True while client writes are refused. */
  readonly writesRefused: boolean;
  /** Writes refused because of the threshold, since start. */
  readonly writesRefusedTotal: number;
  /** Client writes that failed with a storage error (a full disk, mostly) anyway, since start. */
  readonly writeErrorsTotal: number;
}

export class FreeSpaceGuard {
  readonly #opts: FreeSpaceGuardOptions;
  #reading: FreeSpace = 'unknown';
  #readAtMs = Number.NEGATIVE_INFINITY;
  #appendedSinceBytes = 0;
  #refreshing: Promise<void> | null = null;
  #refused = false;
  #refusedTotal = 0;
  #writeErrorsTotal = 0;
  /** A client write failed since the last one that succeeded (the ENOSPC path, threshold or not). */
  #recentWriteFailure = false;
  #readFailedLogged = false;

  constructor(options: FreeSpaceGuardOptions) {
    this.#opts = options;
  }

  /**
   * True when a client write may go ahead; false (and counted) while free space is below
   * the threshold. Re-reads the free space first when the reading is stale. Never rejects.
   */
  async admitsWrites(): Promise<boolean> {
    if (this.#opts.freeBytesMin === 0) return true;
    if (this.#opts.clock.monotonicMs() - this.#readAtMs >= this.#opts.checkIntervalMs) await this.refresh();
    if (this.#refused) this.#refusedTotal++;
    return !this.#refused;
  }

  /** The reason a refused write gets (the response's error message). */
  refusalMessage(): string {
    const s = this.state();
    return `Log dir ${this.#opts.logDir} is low on space (${s.freeBytes ?? '?'} bytes free, log.dir.free.bytes.min ${s.freeBytesMin}): writes are refused until space is freed (delete topics or records, or lower retention)`;
  }

  /** Bytes just appended: counted against the last reading until the next one. */
  noteAppended(bytes: number): void {
    this.#recentWriteFailure = false;
    this.#appendedSinceBytes += bytes;
    this.#update();
  }

  /** A write failed with a storage error (a full disk, maybe): the next check reads the free space again. */
  noteWriteFailed(): void {
    this.#recentWriteFailure = true;
    this.#writeErrorsTotal++;
    this.#readAtMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * Reads the free space now and tells whether the disk is low: writes refused, a client
   * write failed on storage since the last one that succeeded, or less free than the
   * auto threshold (even with the refusal off). Deletions then free their space at once
   * instead of after the delete delay.
   */
  async isLowOnSpace(): Promise<boolean> {
    await this.refresh();
    const r = this.#reading;
    const autoLow = r !== 'unknown' && r.freeBytes < Math.max(this.#threshold(), autoThreshold(r.totalBytes));
    return this.#refused || this.#recentWriteFailure || autoLow;
  }

  /** Starts a refresh in the background when the reading is older than the interval (metrics scrapes). */
  maybeRefresh(): void {
    if (this.#opts.clock.monotonicMs() - this.#readAtMs >= this.#opts.checkIntervalMs) void this.refresh();
  }

  /** Reads the free space now (one statfs; concurrent callers share it). Never rejects. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#read().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  state(): FreeSpaceState {
    const r = this.#reading;
    return {
      freeBytes: r === 'unknown' ? null : Math.max(0, r.freeBytes - this.#appendedSinceBytes),
      totalBytes: r === 'unknown' ? null : r.totalBytes,
      freeBytesMin: this.#threshold(),
      writesRefused: this.#refused,
      writesRefusedTotal: this.#refusedTotal,
      writeErrorsTotal: this.#writeErrorsTotal,
    };
  }

  async #read(): Promise<void> {
    let reading: FreeSpace;
    try {
      reading = await this.#opts.fs.freeSpace(this.#opts.logDir);
    } catch (e) {
      // Cannot tell (the dir vanished, a permission): keep the last reading, retry next interval.
      if (!this.#readFailedLogged) this.#opts.logger.warn({ logDir: this.#opts.logDir, err: e }, 'could not read the free space of the log dir');
      this.#readFailedLogged = true;
      this.#readAtMs = this.#opts.clock.monotonicMs();
      return;
    }
    this.#reading = reading;
    this.#appendedSinceBytes = 0;
    this.#readAtMs = this.#opts.clock.monotonicMs();
    this.#update();
  }

  #threshold(): number {
    const min = this.#opts.freeBytesMin;
    if (min !== FREE_BYTES_MIN_AUTO) return Math.max(0, min);
    const r = this.#reading;
    return r === 'unknown' ? 0 : autoThreshold(r.totalBytes);
  }

  #update(): void {
    const { freeBytes, freeBytesMin } = this.state();
    const refuse = freeBytes !== null && freeBytesMin > 0 && freeBytes < freeBytesMin;
    if (refuse === this.#refused) return;
    this.#refused = refuse;
    const fields = { logDir: this.#opts.logDir, freeBytes, freeBytesMin };
    if (refuse) this.#opts.logger.warn(fields, 'log dir low on space: refusing produce and topic creation until space is freed');
    else this.#opts.logger.info(fields, 'log dir has space again: accepting writes');
  }
}

/** min(256 MiB, 5% of the file system). */
function autoThreshold(totalBytes: number): number {
  return Math.min(FREE_BYTES_MIN_AUTO_CAP, Math.floor(totalBytes * FREE_BYTES_MIN_AUTO_FRACTION));
}

/** The guard of the broker's log dir (`log.dirs[0]`), from its config. */
export function freeSpaceGuardFor(config: ServerConfig, fs: FileSystem, clock: Clock, logger: Logger): FreeSpaceGuard {
  return new FreeSpaceGuard({
    fs,
    clock,
    logDir: config.logDirs[0]!,
    freeBytesMin: config.values.get('log.dir.free.bytes.min') as number,
    checkIntervalMs: config.values.get('log.dir.free.check.interval.ms') as number,
    logger,
  });
}
