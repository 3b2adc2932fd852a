/**
 * LogFaults: one log's fault policy. A failing file-system operation takes the log
 * offline (Kafka's offline log dir) and surfaces as LogStorageError; afterwards every
 * call but `close()` rejects with LogOfflineError, carrying the first cause. The log's
 * own typed errors (LogError: a full disk it undid, a bad argument, a stale cleaner
 * pass), assertions and RangeErrors pass through and leave the log online.
 *
 * Invariant: the offline cause is set once and never cleared (only a reopen clears it).
 */
import { FileSystemError } from '@samsa/runtime';
import { LogAssertionError, LogClosedError, LogError, LogOfflineError, LogStorageError } from './errors.ts';
import type { LogLogger } from './logger.ts';

export class LogFaults {
  private readonly dir: string;
  private readonly logger: LogLogger;
  /** Called once, when the log goes offline (the log stops its timers). */
  private readonly onOffline: () => void;
  private cause: unknown = null;

  constructor(dir: string, logger: LogLogger, onOffline: () => void) {
    this.dir = dir;
    this.logger = logger;
    this.onOffline = onOffline;
  }

  get isOffline(): boolean {
    return this.cause !== null;
  }

  /** Rejects a call on a closed (LogClosedError) or offline (LogOfflineError) log. */
  ensureAvailable(closed: boolean): void {
    if (closed) throw new LogClosedError(this.dir);
    if (this.cause !== null) throw new LogOfflineError(this.dir, { cause: this.cause });
  }

  /** Runs `fn`; a file-system failure takes the log offline and becomes LogStorageError. */
  async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.classify(operation, e);
    }
  }

  /** Classifies an error: typed log errors pass through; anything else is a storage failure. */
  classify(operation: string, e: unknown): unknown {
    if (e instanceof LogStorageError || e instanceof LogOfflineError) return e;
    if (e instanceof LogError || e instanceof LogAssertionError || e instanceof RangeError) return e;
    const error = new LogStorageError(this.dir, operation, { cause: e });
    if (this.cause === null) {
      this.cause = e;
      this.onOffline();
      const fsCode = e instanceof FileSystemError ? e.code : undefined;
      this.logger.warn({ dir: this.dir, operation, error: e instanceof Error ? e.message : String(e), fsCode }, 'log is offline after a storage error');
    }
    return error;
  }
}
