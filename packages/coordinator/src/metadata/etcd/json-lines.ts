/**
 * Splits a streamed body into newline-delimited JSON texts (the gateway writes one object
 * per line for a streaming RPC such as Watch).
 *
 * Bounded: the text held while waiting for a newline never exceeds `lineCharsMax`; a longer
 * line throws `JsonLineTooLongError` (the caller drops the stream) instead of growing
 * without limit. The gateway's JSON is ASCII (keys and values are base64), so characters
 * are bytes. Blank lines are skipped. Not safe for concurrent `push` calls.
 */

export class JsonLineTooLongError extends Error {
  override readonly name = 'JsonLineTooLongError';
  constructor(lineCharsMax: number) {
    super(`a streamed JSON line exceeds ${lineCharsMax} characters`);
  }
}

export class JsonLineSplitter {
  readonly #decoder = new TextDecoder();
  readonly #lineCharsMax: number;
  #pending = '';

  constructor(lineCharsMax: number) {
    if (!(lineCharsMax > 0)) throw new RangeError(`lineCharsMax ${lineCharsMax} must be positive`);
    this.#lineCharsMax = lineCharsMax;
  }

  /** Feeds one chunk; returns the complete lines it finished, in order. */
  push(chunk: Uint8Array): string[] {
    const text = this.#pending + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.#pending = parts.pop() ?? '';
    if (this.#pending.length > this.#lineCharsMax) {
      this.#pending = '';
      throw new JsonLineTooLongError(this.#lineCharsMax);
    }
    const lines: string[] = [];
    for (const part of parts) {
      if (part.length > this.#lineCharsMax) throw new JsonLineTooLongError(this.#lineCharsMax);
      if (part.trim() !== '') lines.push(part);
    }
    return lines;
  }

  /** At end of stream: the last line if it was not newline-terminated. */
  end(): string[] {
    const last = this.#pending + this.#decoder.decode();
    this.#pending = '';
    return last.trim() === '' ? [] : [last];
  }
}
