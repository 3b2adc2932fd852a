#!/usr/bin/env -S deno run --allow-net --allow-read=./data --allow-write=./data --allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED --allow-sys=hostname,statfs
/**
 * The Samsa broker on Deno: `deno run <permissions> apps/broker-deno/src/main.ts [flags]`.
 *
 * Same flags, same server.properties file, same connect line and exit codes as
 * `samsa broker`: the flag definitions are the Node app's commander command
 * (apps/broker-node/src/commands/broker-command.ts), reused with a Deno action, so
 * `--help` and validation cannot drift. Exit codes: 0 clean stop, 1 failed to start or
 * run, 2 bad flag/config/permission, 70 bug.
 */
import { CliError, ExitCode } from '../../broker-node/src/cli-error.ts';
import { brokerCommand } from '../../broker-node/src/commands/broker-command.ts';
import type { BrokerCommandOptions } from '../../broker-node/src/run-broker.ts';
import { loadConfig } from './load-config.ts';
import { brokerPermissions, permissionFlags } from './permissions.ts';
import { runDenoBroker } from './run-broker.ts';

export { startDenoBroker } from './start-broker.ts';
export type { RunningDenoBroker, StartDenoBrokerOptions } from './start-broker.ts';

const encoder = new TextEncoder();
/** Prefix of the line `--print-permissions` writes on stdout (read by bin/start.mjs). */
export const PERMISSIONS_LINE_PREFIX = 'samsa-deno-permissions ';

type DenoBrokerOptions = BrokerCommandOptions & { printPermissions?: boolean; exitWhenStdinCloses?: boolean };

/**
 * commander's CommanderError, recognised by its `code` ("commander.*"): `commander` is a
 * dependency of apps/broker-node, which Deno resolves only from files in that package.
 */
function isCommanderError(error: unknown): error is { code: string; exitCode: number } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('commander.');
}

export async function main(args: readonly string[]): Promise<number> {
  const command = brokerCommand()
    .name('broker-deno')
    .description('run a Samsa broker on Deno in the foreground (Ctrl-C stops it cleanly)')
    .action(async (o: DenoBrokerOptions) => {
      if (o.printPermissions === true) {
        // For bin/start.mjs: the `deno run` flags this broker needs, one JSON line.
        const { config } = await loadConfig(o);
        const flags = permissionFlags(brokerPermissions(config, { ...(o.config !== undefined ? { configPath: o.config } : {}), ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}) }));
        Deno.stdout.writeSync(encoder.encode(`${PERMISSIONS_LINE_PREFIX}${JSON.stringify(flags)}\n`));
        return;
      }
      await runDenoBroker(o);
    });
  command.addOption(command.createOption('--print-permissions', 'print the deno run permission flags this broker needs, then exit').hideHelp());
  // For bin/start.mjs: stdin is the launcher's lifeline; end of file = shut down as on SIGTERM.
  command.addOption(command.createOption('--exit-when-stdin-closes', 'shut down cleanly when stdin reaches end of file (the launcher died)').hideHelp());
  command.exitOverride();
  // commander decides on colour from NO_COLOR / FORCE_COLOR / CLICOLOR_FORCE; under Deno's
  // scoped --allow-env that read throws NotCapable whenever the first two are unset. Help
  // text is plain on Deno, so no environment is read for it.
  command.configureOutput({ getOutHasColors: () => false, getErrHasColors: () => false });
  try {
    await command.parseAsync([...args], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (isCommanderError(error)) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage; // commander already printed the message
    }
    if (error instanceof CliError) {
      if (!error.printed) Deno.stderr.writeSync(encoder.encode(`samsa: ${error.message}\n`));
      return error.exitCode;
    }
    Deno.stderr.writeSync(encoder.encode(`samsa: unexpected error (a bug; please report it):\n${(error as Error).stack ?? String(error)}\n`));
    return ExitCode.bug;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // A running broker keeps the event loop alive and exits from its signal handler.
  if (code !== ExitCode.ok) Deno.exit(code);
}
