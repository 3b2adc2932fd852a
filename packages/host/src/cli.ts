/**
 * @samsa/host/cli: the command-line pieces both apps share, without the broker core or the
 * logger, so commands that do not run a broker (the Node CLI's client commands, `--help`)
 * load neither: errors and exit codes, flag parsers, the `broker` command's flags, log
 * level names, and the error → exit code mapping.
 */
export { CliError, ExitCode } from './cli-error.ts';
export { collect, intFlag } from './flag-parsers.ts';
export { brokerCommand } from './broker-command.ts';
export type { BrokerCommandOptions, BrokerCommandSpec } from './broker-command.ts';
export { isLogLevel, LOG_LEVELS } from './log-levels.ts';
export type { LogLevel } from './log-levels.ts';
export { exitCodeFor } from './cli-exit.ts';
