/**
 * Turns SIGINT/SIGTERM, and the end of the launcher's lifeline (stdin), into a clean
 * shutdown of a running broker, the same on every runtime:
 *   - the first signal drains (finish in-flight requests, flush, clean-shutdown marker),
 *     then prints `samsa broker stopped cleanly` on stdout and exits 0 (1 if the shutdown
 *     failed, logged);
 *   - a second signal exits 130 at once, without waiting;
 *   - with `watchStdin`, stdin's end of file (the launcher died, whatever killed it) counts
 *     as a first signal; a shutdown already under way is not hurried by it, and a stdin
 *     that keeps being written to ('written') is ignored.
 * Install it before the connect line: whoever waits for that line may signal at once.
 */
import { ExitCode } from './cli-error.ts';
import type { HostLogger, HostProcess } from './host-process.ts';

export const SECOND_SIGNAL_EXIT_CODE = 130;

export interface Stoppable {
  shutdown(): Promise<void>;
}

export function stopOnSignals(running: Stoppable, logger: HostLogger, proc: HostProcess, options: { readonly watchStdin?: boolean } = {}): void {
  let signals = 0;
  const onSignal = (signal: string): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      logger.flush();
      proc.exit(SECOND_SIGNAL_EXIT_CODE);
      return;
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing');
    running.shutdown().then(
      () => {
        logger.info({}, 'stopped');
        logger.flush();
        proc.writeStdoutLine('samsa broker stopped cleanly');
        proc.exit(ExitCode.ok);
      },
      (error: Error) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        proc.exit(ExitCode.failure);
      },
    );
  };
  proc.onSignal(onSignal);
  if (options.watchStdin === true && proc.untilStdinCloses !== undefined) {
    void proc.untilStdinCloses().then((how) => {
      if (signals > 0 || how === 'written') return;
      logger.warn({ stdin: how }, 'the launcher is gone (stdin closed): shutting down');
      onSignal('stdin-closed');
    });
  }
}
