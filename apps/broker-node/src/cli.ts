#!/usr/bin/env node
/**
 * The `samsa` command line: `samsa broker` runs a broker; `topics`, `produce`, `consume`,
 * `groups` and `cluster` talk to one over the Kafka protocol.
 *
 * Exit codes (@samsa/host's cli-error.ts): 0 ok, 1 runtime failure, 2 usage/config error,
 * 70 bug. Errors print one line on stderr that says what to do next.
 */
import { Command } from 'commander';
import { ExitCode, exitCodeFor } from '@samsa/host/cli';
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
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return exitCodeFor(error, (text) => process.stderr.write(text));
  }
}

const code = await main(process.argv.slice(2));
// A running broker keeps the event loop alive and exits from its signal handler; every
// other command is finished here.
if (code !== ExitCode.ok || process.exitCode === undefined) {
  process.exitCode = code;
}
