/**
 * Flag value parsers shared by the commands. Each throws a CliError (exit 2) naming the
 * flag and what a good value looks like. `intFlag` and `collect` are the host's (the
 * broker command's flags use them too).
 */
import { CliError, ExitCode } from '@samsa/host/cli';

export { collect, intFlag } from '@samsa/host/cli';

/** "key=value" → [key, value]; the flag name goes into the error. */
export function keyValue(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new CliError(`${flag} expects key=value (got "${text}")`, ExitCode.usage);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

export function bootstrapFrom(options: { bootstrap?: string }): string {
  return options.bootstrap ?? process.env['SAMSA_BOOTSTRAP'] ?? DEFAULT_BOOTSTRAP;
}
