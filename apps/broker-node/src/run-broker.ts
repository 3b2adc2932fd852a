/**
 * What `samsa broker` does once its flags are parsed: load and validate the config, start
 * the broker, print the connect line, and turn SIGINT/SIGTERM into a clean shutdown.
 * Loaded lazily by commands/broker-command.ts so other commands never load the core.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataDirLockedError, MetadataMissingError } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';
import { brokerConfigFrom } from './broker-config.ts';
import { parseOpenFilesLimit } from './open-files-limit.ts';
import type { LoadedBrokerConfig } from './broker-config.ts';
import { CliError, ExitCode } from './cli-error.ts';
import { createLogger, isLogLevel } from './logger.ts';
import type { LogLevel } from './logger.ts';
import { startBroker } from './start-broker.ts';

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
      onStartFailure: (error) => {
        const explained = explainStartFailure(error, config, o.adminPort);
        logger.error({ err: error }, 'start failed; closing what was opened');
        logger.flush();
        process.stderr.write(`samsa: ${explained.message}\n`);
      },
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

export function explainStartFailure(error: unknown, config: ServerConfig, adminPort: number | undefined, options: { readonly printed?: boolean } = {}): CliError {
  const e = error as { code?: string; message?: string };
  const text = `${e.code ?? ''} ${e.message ?? String(error)}`;
  const l = config.listeners[0]!;
  if (error instanceof DataDirLockedError || error instanceof MetadataMissingError) return new CliError(error.message, ExitCode.failure, options);
  if (/address-in-use|EADDRINUSE/i.test(text)) {
    return new CliError(
      `cannot listen: ${l.host || '0.0.0.0'}:${l.port}${adminPort !== undefined ? ` or admin port ${adminPort}` : ''} is already in use. Stop the other process or pass --port (and --admin-port) with free ports.`,
      ExitCode.failure,
      options,
    );
  }
  if (e.code === 'read-only' || /EROFS/.test(text)) {
    const path = (error as { path?: string }).path;
    return new CliError(
      `cannot start: the data dir ${config.logDirs.join(',')} is on a read-only file system${path ? ` (${path} cannot be created or written)` : ''}. Remount it read-write or pass --data-dir on a writable file system.`,
      ExitCode.failure,
    );
  }
  if (/EACCES|permission/i.test(text)) {
    return new CliError(`cannot start: permission denied (${e.message}). Check that the data dir ${config.logDirs.join(',')} is writable and the port is allowed.`, ExitCode.failure, options);
  }
  return new CliError(`broker failed to start: ${e.message ?? String(error)}`, ExitCode.failure, options);
}
