/**
 * CliError: an expected failure the CLI reports as one line and an exit code.
 *
 * Exit codes: 0 success, 1 runtime failure (broker unreachable, request failed),
 * 2 usage or configuration error (bad flag, unknown config key, bad value).
 * Anything else thrown is a bug: the CLI prints the stack and exits 70 (EX_SOFTWARE).
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  bug: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  /** Already printed on stderr (a failed start says why before it cleans up): exit without printing again. */
  readonly printed: boolean;
  constructor(message: string, exitCode: number = ExitCode.failure, options: { readonly printed?: boolean } = {}) {
    super(message);
    this.exitCode = exitCode;
    this.printed = options.printed === true;
  }
}
