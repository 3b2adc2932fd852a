/**
 * What `samsa broker` does once its flags are parsed: load and validate the config, start
 * the broker, print the connect line, and turn SIGINT/SIGTERM into a clean shutdown.
 * Loaded lazily by commands/broker-command.ts so other commands never load the core.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { brokerConfigFrom } from './broker-config.ts';
import { parseOpenFilesLimit } from './open-files-limit.ts';
import type { LoadedBrokerConfig } from './broker-config.ts';
import { CliError, ExitCode } from './cli-error.ts';
import { createLogger, isLogLevel } from './logger.ts';
import type { LogLevel } from './logger.ts';
import { startBroker } from './start-broker.ts';
import { explainStartFailure, startFailureReporter } from './start-failure.ts';

export interface BrokerCommandOptions {
  config?: string;
  override?: string[];
  port?: number;
  host?: string;
  dataDir?: string;
  nodeId?: number;
  adminPort?: number;
  recoverMetadataFromLogs?: boolean;
  logLevel: string;
}

function loadConfig(o: BrokerCommandOptions): LoadedBrokerConfig {
  let configText = '';
  if (o.config !== undefined) {
    try {
      configText = readFileSync(o.config, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read --config ${o.config}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check the path.`, ExitCode.usage);
    }
  }
  return brokerConfigFrom(o, configText, (p) => resolve(p), openFilesLimit());
}

/** This process's open-file limit (Linux /proc; null elsewhere). */
function openFilesLimit(): number | null {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

export async function runBroker(o: BrokerCommandOptions): Promise<void> {
  const level: LogLevel = isLogLevel(o.logLevel) ? o.logLevel : 'info';
  const { config, dataDirShown } = loadConfig(o);
  const logger = createLogger(level);
  let running;
  try {
    running = await startBroker({
      config,
      logger,
      ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}),
      ...(o.recoverMetadataFromLogs === true ? { recoverMetadataFromLogs: true } : {}),
      // The cause first, flushed, then the broker closes what it opened (which may take a while).
      onStartFailure: startFailureReporter(logger, (error) => explainStartFailure(error, config, o.adminPort), (line) => process.stderr.write(`${line}\n`)),
    });
  } catch (error) {
    logger.flush();
    throw explainStartFailure(error, config, o.adminPort, { printed: true });
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing');
    running.shutdown().then(
      () => {
        logger.info({}, 'stopped');
        logger.flush();
        process.stdout.write('samsa broker stopped cleanly\n');
        process.exit(ExitCode.ok);
      },
      (error: Error) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(ExitCode.failure);
      },
    );
  };
  // Before the connect line: whoever waits for that line may signal at once, and a signal
  // that comes before the handlers would kill the process without a clean shutdown.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const admin = running.admin ? `, admin http://${running.admin.host}:${running.admin.port}/metrics` : '';
  process.stdout.write(`samsa broker listening on ${running.host}:${running.port} (data: ${dataDirShown}${admin})\n`);
}
