/**
 * Flag value parsers for commander options. Each throws a CliError (exit 2) naming the
 * flag and what a good value looks like.
 */
import { CliError, ExitCode } from './cli-error.ts';

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
