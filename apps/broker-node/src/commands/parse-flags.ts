/**
 * Flag value parsers shared by the commands. Each throws a CliError (exit 2) naming the
 * flag and what a good value looks like.
 */
import { CliError, ExitCode } from '../cli-error.ts';

export function intFlag(flag: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^[-+]?\d+$/.test(text.trim())) throw new CliError(`${flag} must be an integer (got "${text}")`, ExitCode.usage);
    const n = Number(text);
    if (n < min || n > max) throw new CliError(`${flag} must be between ${min} and ${max} (got ${n})`, ExitCode.usage);
    return n;
  };
}

/** Collects repeatable flags (`--override a=1 --override b=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

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
