/**
 * What a command line exits with once its program ran: the mapping both apps share from a
 * thrown error to an exit code and at most one line on stderr. Commander's own outcomes are
 * recognised by their `code` ("commander.*"), so this works whichever copy of commander
 * threw (Deno resolves packages per importing file).
 *
 *   help/version → 0; a usage error → 2 (commander already printed it); a CliError → its
 *   code, printed as `samsa: <message>` unless already printed; anything else is a bug →
 *   70 with the stack.
 */
import { CliError, ExitCode } from './cli-error.ts';

function commanderCode(error: unknown): { code: string; exitCode: number } | null {
  const e = error as { code?: unknown; exitCode?: unknown } | null;
  return typeof e?.code === 'string' && e.code.startsWith('commander.') ? { code: e.code, exitCode: typeof e.exitCode === 'number' ? e.exitCode : ExitCode.usage } : null;
}

export function exitCodeFor(error: unknown, writeStderr: (text: string) => void): number {
  const commander = commanderCode(error);
  if (commander !== null) {
    if (commander.code === 'commander.helpDisplayed' || commander.code === 'commander.version' || commander.code === 'commander.help') return ExitCode.ok;
    if (commander.code === 'commander.executeSubCommandAsync') return commander.exitCode;
    return ExitCode.usage;
  }
  if (error instanceof CliError) {
    if (!error.printed) writeStderr(`samsa: ${error.message}\n`);
    return error.exitCode;
  }
  writeStderr(`samsa: unexpected error (a bug; please report it):\n${(error as Error).stack ?? String(error)}\n`);
  return ExitCode.bug;
}
