#!/usr/bin/env node
/**
 * The `samsa` command line: `samsa broker` runs a broker; `topics`, `produce`, `consume`,
 * `groups` and `cluster` talk to one over the Kafka protocol.
 *
 * Exit codes (see cli-error.ts): 0 ok, 1 runtime failure, 2 usage/config error, 70 bug.
 * Errors print one line on stderr that says what to do next.
 */
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './cli-error.ts';
import { brokerCommand } from './commands/broker-command.ts';
import { clusterCommand } from './commands/cluster-command.ts';
import { consumeCommand } from './commands/consume-command.ts';
import { groupsCommand } from './commands/groups-command.ts';
import { produceCommand } from './commands/produce-command.ts';
import { topicsCommand } from './commands/topics-command.ts';

export function buildProgram(): Command {
  const program = new Command('samsa')
    .description('Samsa: a commit log that speaks the Kafka protocol')
    .version('0.0.0', '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .addCommand(brokerCommand())
    .addCommand(topicsCommand())
    .addCommand(produceCommand())
    .addCommand(consumeCommand())
    .addCommand(groupsCommand())
    .addCommand(clusterCommand());
  applyExitOverride(program);
  return program;
}

/** Commander exits 1 on usage errors by default; we want 2, and we want to do the exit. */
function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      return ExitCode.usage; // commander already printed the message
    }
    if (error instanceof CliError) {
      if (!error.printed) process.stderr.write(`samsa: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`samsa: unexpected error (a bug; please report it):\n${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.bug;
  }
}

const code = await main(process.argv.slice(2));
// A running broker keeps the event loop alive and exits from its signal handler; every
// other command is finished here.
if (code !== ExitCode.ok || process.exitCode === undefined) {
  process.exitCode = code;
}
