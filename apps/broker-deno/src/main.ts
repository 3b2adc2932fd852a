#!/usr/bin/env -S deno run --v8-flags=--initial-old-space-size=128 --allow-net --allow-read=./data --allow-write=./data --allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED --allow-sys=hostname,statfs
/**
 * The Deno broker's entry point: `deno run <permissions> apps/broker-deno/src/main.ts
 * [flags]`. The flags are the host's `broker` command (@samsa/host, shared with `samsa
 * broker` on Node), so `--help`, validation and exit codes cannot drift. Two hidden flags
 * serve the launcher (bin/start.mjs): `--print-permissions` prints the `deno run` flags
 * this broker needs and exits; `--exit-when-stdin-closes` makes stdin its lifeline.
 * Exit codes: 0 clean stop, 1 failed to start or run, 2 bad flag/config/permission, 70 bug.
 */
import { loadBrokerConfig } from '@samsa/host';
import type { BrokerCommandOptions } from '@samsa/host';
import { brokerCommand, ExitCode, exitCodeFor } from '@samsa/host/cli';
import { denoProcess } from './deno-process.ts';
import { brokerPermissions, permissionFlags } from './permissions.ts';
import { runDenoBroker } from './run-broker.ts';

export { startDenoBroker } from './start-broker.ts';
export type { RunningDenoBroker, StartDenoBrokerOptions } from './start-broker.ts';

/** Prefix of the line `--print-permissions` writes on stdout (read by bin/start.mjs). */
export const PERMISSIONS_LINE_PREFIX = 'samsa-deno-permissions ';

type DenoBrokerOptions = BrokerCommandOptions & { printPermissions?: boolean; exitWhenStdinCloses?: boolean };

/** SAMSA_LOG_LEVEL, the --log-level default; undefined when unset or not allowed (--allow-env). */
function logLevelFromEnv(): string | undefined {
  try {
    return Deno.env.get('SAMSA_LOG_LEVEL');
  } catch {
    return undefined;
  }
}

/** For bin/start.mjs: the `deno run` flags this broker needs, one JSON line. */
async function printPermissions(o: DenoBrokerOptions): Promise<void> {
  const { config } = await loadBrokerConfig(o, denoProcess);
  const flags = permissionFlags(brokerPermissions(config, { ...(o.config !== undefined ? { configPath: o.config } : {}), ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}) }));
  denoProcess.writeStdoutLine(`${PERMISSIONS_LINE_PREFIX}${JSON.stringify(flags)}`);
}

export async function main(args: readonly string[]): Promise<number> {
  const command = brokerCommand({
    logLevelDefault: logLevelFromEnv(),
    action: (o: DenoBrokerOptions) => (o.printPermissions === true ? printPermissions(o) : runDenoBroker(o)),
  })
    .name('broker-deno')
    .description('run a Samsa broker on Deno in the foreground (Ctrl-C stops it cleanly)');
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
    return exitCodeFor(error, (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)));
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // A running broker keeps the event loop alive and exits from its signal handler.
  if (code !== ExitCode.ok) Deno.exit(code);
}
