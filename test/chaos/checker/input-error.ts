/**
 * The one expected failure of the checker's input side: a history or final-read file that
 * cannot be trusted (unreadable, too large, malformed JSON, a field of the wrong shape, an
 * unknown operation, a completion without its invoke). The message names the file and,
 * for a line of a history, its 1-based line number (`history-3.jsonl:17: …`). The CLI maps
 * it to exit code 2; anything else thrown is a programmer error.
 */

export type CheckerInputErrorCode = 'BAD_HISTORY' | 'BAD_FINAL_READ' | 'BAD_ARGUMENTS';

export class CheckerInputError extends Error {
  readonly code: CheckerInputErrorCode;

  constructor(code: CheckerInputErrorCode, message: string) {
    super(message);
    this.name = 'CheckerInputError';
    this.code = code;
  }
}
