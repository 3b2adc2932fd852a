/**
 * What `samsa broker` (Node) and the Deno broker do once their flags are parsed, on any
 * runtime: load and validate the config, start the broker (the app's `start`: its Runtime,
 * HTTP server and accelerators around startBrokerOn), explain a failed start, install the
 * signal handling, and print the connect line:
 *   samsa broker listening on HOST:PORT (data: DIR[, admin http://HOST:PORT/metrics])
 * A failed start prints its cause first (flushed), before the broker closes what it had
 * opened, and is rethrown as a CliError marked printed (exit 1, or 2 for a config error).
 */
import type { Logger, ServerConfig } from '@samsa/broker';
import type { BrokerCommandOptions } from './broker-command.ts';
import { CliError } from './cli-error.ts';
import type { HostProcess } from './host-process.ts';
import { loadBrokerConfig } from './load-config.ts';
import { isLogLevel } from './log-levels.ts';
import type { RunningBroker } from './start-broker-on.ts';
import { explainStartFailure, startFailureReporter } from './start-failure.ts';
import type { ExplainOptions } from './start-failure.ts';
import { stopOnSignals } from './stop-on-signals.ts';

/** What the app's `start` gets: the core's options without the runtime parts the app adds. */
export interface HostStartOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly adminPort?: number;
  readonly recoverMetadataFromLogs?: boolean;
  readonly onStartFailure: (error: unknown) => void;
}

export interface RunBrokerSpec {
  readonly flags: BrokerCommandOptions & { readonly exitWhenStdinCloses?: boolean };
  readonly process: HostProcess;
  readonly start: (options: HostStartOptions) => Promise<RunningBroker>;
  /** The runtime's own start-failure explanations (Deno's permissions), tried after the lock and port. */
  readonly explainRuntime?: (config: ServerConfig, adminPort: number | undefined) => ExplainOptions['explainRuntime'];
}

export async function runBroker(spec: RunBrokerSpec): Promise<RunningBroker> {
  const { flags: o, process: proc } = spec;
  const { config, dataDirShown } = await loadBrokerConfig(o, proc);
  const logger = proc.createLogger(isLogLevel(o.logLevel) ? o.logLevel : 'info');
  const explainRuntime = spec.explainRuntime?.(config, o.adminPort);
  const explain = (error: unknown, printed?: boolean): CliError =>
    explainStartFailure(error, config, o.adminPort, { ...(printed === true ? { printed } : {}), ...(explainRuntime !== undefined ? { explainRuntime } : {}) });
  let running: RunningBroker;
  try {
    running = await spec.start({
      config,
      logger,
      ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}),
      ...(o.recoverMetadataFromLogs === true ? { recoverMetadataFromLogs: true } : {}),
      // The cause first, flushed, then the broker closes what it opened (which may take a while).
      onStartFailure: startFailureReporter(logger, (error) => explain(error), (line) => proc.writeStderrLine(line)),
    });
  } catch (error) {
    logger.flush();
    throw explain(error, true);
  }
  stopOnSignals(running, logger, proc, { watchStdin: o.exitWhenStdinCloses === true });
  const admin = running.admin ? `, admin http://${running.admin.host}:${running.admin.port}/metrics` : '';
  proc.writeStdoutLine(`samsa broker listening on ${running.host}:${running.port} (data: ${dataDirShown}${admin})`);
  return running;
}
