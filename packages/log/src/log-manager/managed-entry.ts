/**
 * ManagedEntry: what a LogManager keeps per log — the log, its log dir, the tail of its
 * maintenance chain, and whether its checkpointed end is still unverified — and
 * `runOnLog`, which appends a task to that chain.
 *
 * Invariant: tasks on one log run one at a time, in call order (retention, cleaning,
 * deletion and close never overlap on a log); a failed task is logged and never stops
 * the chain or escapes as an unhandled rejection.
 */
import { LogError } from '../errors.ts';
import type { Log } from '../log.ts';
import type { LogLogger } from '../logger.ts';

export interface ManagedEntry {
  readonly log: Log;
  readonly logDir: string;
  /** Tail of this log's maintenance chain (retention, cleaning, deletion). */
  tasks: Promise<void>;
  /**
   * Loaded on its dir's clean-shutdown marker and nobody has checked its checkpointed end
   * against its files yet (the check is lazy so a restart opens no segment file);
   * `LogManager.getOrCreateLog` checks it and recovers the log from its files on a
   * contradiction.
   */
  endUnverified: boolean;
}

/**
 * Runs `task` after the log's previous task. A failure is logged; it is rethrown to the
 * caller only with `rethrow` (the chain itself always continues).
 */
export async function runOnLog(entry: ManagedEntry, what: string, logger: LogLogger, options: { readonly rethrow: boolean }, task: () => Promise<void>): Promise<void> {
  const run = entry.tasks.then(task);
  entry.tasks = run.catch((e: unknown) => {
    // Storage errors already took the log offline (LogError); anything else is logged too.
    logger.warn({ dir: entry.log.dir, task: what, error: String(e), code: e instanceof LogError ? e.code : undefined }, 'log maintenance failed');
  });
  if (options.rethrow) await run;
  else await entry.tasks;
}
