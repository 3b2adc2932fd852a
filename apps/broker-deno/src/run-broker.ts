/**
 * What the Deno broker does once its flags are parsed: load the config, start the broker,
 * print the same connect line as `samsa broker`, and turn SIGINT/SIGTERM
 * (Deno.addSignalListener) into a clean shutdown: finish in-flight requests, flush, write
 * the clean-shutdown marker, exit 0. A second signal exits 130 at once.
 */
import type { ServerConfig } from '@samsa/broker';
import { CliError, ExitCode } from '../../broker-node/src/cli-error.ts';
import { createLogger, isLogLevel } from '../../broker-node/src/logger.ts';
import type { LogLevel } from '../../broker-node/src/logger.ts';
import type { BrokerCommandOptions } from '../../broker-node/src/run-broker.ts';
import { explainStartFailure as explainCommon, startFailureReporter } from '../../broker-node/src/start-failure.ts';
import { loadConfig } from './load-config.ts';
import { brokerPermissions, permissionFlags } from './permissions.ts';
import { startDenoBroker } from './start-broker.ts';

const encoder = new TextEncoder();

function printLine(text: string): void {
  const bytes = encoder.encode(`${text}\n`);
  for (let done = 0, loops = 0; done < bytes.byteLength && loops < 1_000; loops++) done += Deno.stdout.writeSync(bytes.subarray(done));
}

export async function runDenoBroker(o: BrokerCommandOptions & { readonly exitWhenStdinCloses?: boolean }): Promise<void> {
  const level: LogLevel = isLogLevel(o.logLevel) ? o.logLevel : 'info';
  const { config, dataDirShown } = await loadConfig(o);
  const logger = createLogger(level);
  let running;
  try {
    running = await startDenoBroker({
      config,
      logger,
      ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}),
      ...(o.recoverMetadataFromLogs === true ? { recoverMetadataFromLogs: true } : {}),
      // The cause first, flushed, then the broker closes what it opened (which may take a while).
      onStartFailure: startFailureReporter(logger, (error) => explainStartFailure(error, config, o.adminPort), (line) => Deno.stderr.writeSync(encoder.encode(`${line}\n`))),
    });
  } catch (error) {
    logger.flush();
    throw explainStartFailure(error, config, o.adminPort, { printed: true });
  }
  let signals = 0;
  const onSignal = (signal: Deno.Signal | 'stdin-closed'): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      Deno.exit(130);
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing');
    running.shutdown().then(
      () => {
        logger.info({}, 'stopped');
        logger.flush();
        printLine('samsa broker stopped cleanly');
        Deno.exit(ExitCode.ok);
      },
      (error: Error) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        Deno.exit(ExitCode.failure);
      },
    );
  };
  // Before the connect line: whoever waits for that line may signal at once, and a signal
  // that comes before the listeners would kill the process without a clean shutdown.
  Deno.addSignalListener('SIGINT', () => onSignal('SIGINT'));
  Deno.addSignalListener('SIGTERM', () => onSignal('SIGTERM'));
  if (o.exitWhenStdinCloses === true) {
    // The launcher's lifeline (bin/start.mjs): it ends when the launcher dies, whatever
    // killed it. A shutdown already under way is not hurried by it.
    void untilStdinCloses().then((how) => {
      if (signals > 0 || how === 'written') return;
      logger.warn({ stdin: how }, 'the launcher is gone (stdin closed): shutting down');
      onSignal('stdin-closed');
    });
  }
  const admin = running.admin ? `, admin http://${running.admin.host}:${running.admin.port}/metrics` : '';
  printLine(`samsa broker listening on ${running.host}:${running.port} (data: ${dataDirShown}${admin})`);
}

/** Reads of stdin before the lifeline stops watching (the launcher never writes to it). */
const STDIN_READS_MAX = 1_000_000;

/** Reads and drops stdin until end of file or a read error; resolves which ('written' if something keeps writing). */
async function untilStdinCloses(): Promise<'eof' | 'error' | 'written'> {
  const buffer = new Uint8Array(4096);
  try {
    for (let reads = 0; reads < STDIN_READS_MAX; reads++) {
      if ((await Deno.stdin.read(buffer)) === null) return 'eof';
    }
    return 'written';
  } catch {
    return 'error';
  }
}

/** The shared explanation, plus Deno's permission errors (with the flags that would grant them). */
function explainStartFailure(error: unknown, config: ServerConfig, adminPort: number | undefined, options: { readonly printed?: boolean } = {}): CliError {
  return explainCommon(error, config, adminPort, {
    ...options,
    explainRuntime: (e, text, printed) => {
      if (!(e instanceof Deno.errors.NotCapable) && !/NotCapable|Requires (read|write|net) access/i.test(text)) return null;
      const flags = permissionFlags(brokerPermissions(config, adminPort !== undefined ? { adminPort } : {}));
      return new CliError(`cannot start: Deno permission missing (${(e as Error).message}). Run with ${flags.join(' ')} (see apps/broker-deno/README.md).`, ExitCode.usage, printed);
    },
  });
}
