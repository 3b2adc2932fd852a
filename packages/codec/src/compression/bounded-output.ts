/**
 * BoundedOutput: the growable byte sink every decompressor writes into.
 *
 * It never holds more than `bytesMax` bytes: `reserve(n)` throws
 * DecodeError('too-large') as soon as the output would pass the bound, before any
 * allocation for it. Capacity starts at a caller hint (a size the stream declared, capped
 * at the bound) and doubles, so an honest stream is copied O(log n) times, and a stream
 * that declares a small size but expands hugely is stopped at the bound.
 * Not shared: one instance per decompress call.
 */
import { DecodeError } from '../decode-error.ts';

export class BoundedOutput {
  bytes: Uint8Array;
  length = 0;
  readonly bytesMax: number;
  private readonly codec: string;

  constructor(codec: string, bytesMax: number, capacityHint: number) {
    if (!(bytesMax >= 0) || !Number.isSafeInteger(bytesMax)) throw new RangeError(`maxBytes must be a non-negative safe integer, got ${bytesMax}`);
    this.codec = codec;
    this.bytesMax = bytesMax;
    this.bytes = new Uint8Array(Math.min(bytesMax, Math.max(0, Math.floor(capacityHint))));
  }

  /** Makes room for `n` more bytes; throws DecodeError('too-large') past the bound. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.bytes.length) return;
    if (needed > this.bytesMax) throw tooLarge(this.codec, this.bytesMax, needed);
    const grown = new Uint8Array(Math.min(this.bytesMax, Math.max(needed, this.bytes.length * 2, 4096)));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  append(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** The written bytes: the buffer itself when it is exactly full, else a copy (no slack kept alive). */
  finish(): Uint8Array {
    return this.length === this.bytes.length ? this.bytes : this.bytes.slice(0, this.length);
  }
}

export function tooLarge(codec: string, bytesMax: number, bytes: number | string): DecodeError {
  return new DecodeError('too-large', 'Compression', -1, codec, `output ${bytes} bytes > maxBytes ${bytesMax}`);
}

export function corrupt(codec: string, detail: string, cause?: unknown): DecodeError {
  return new DecodeError('decompression', 'Compression', -1, codec, detail, cause === undefined ? undefined : { cause });
}

/** Re-throws DecodeErrors unchanged and wraps anything a library threw as 'decompression'. */
export function asDecodeError(codec: string, error: unknown): DecodeError {
  if (error instanceof DecodeError) return error;
  return corrupt(codec, error instanceof Error ? error.message : String(error), error);
}
