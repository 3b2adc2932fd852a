/**
 * FrameReader: the connection's Kafka frame splitter — `[int32 length N][N bytes]`… in,
 * frame payloads (without the prefix) out, in order. Same contract and errors as
 * @samsa/codec's FrameSplitter (it is the oracle in frame-reader.prop.test.ts), but a
 * frame spanning chunks is reassembled by keeping views of the chunks that carry it and
 * copying them once, into a buffer of exactly the declared size, when the last byte is in.
 *
 * Why not FrameSplitter: its reassembly buffer doubles from 16 KiB, so a 1 MB produce
 * request (kcat's batch.size) arriving in 64 KiB socket reads is allocated (zero-filled)
 * and copied about seven times over; in a profile of the broker under kcat produce that
 * `reserve` was the first self-time entry (≈ 5–7 % of all samples).
 *
 * Bounds: the declared length is checked against `frameBytesMax` from the 4 prefix bytes
 * alone (negative → DecodeError 'bad-length', larger → 'too-large'); memory held is what
 * actually arrived for the incomplete frame (views of received chunks — the caller must not
 * overwrite a chunk after pushing it; sockets hand out fresh chunks), at most one chunk
 * view per received chunk. After throwing, every later push throws the same error.
 * Not safe for concurrent use; one reader per connection.
 */
import { DecodeError } from '@samsa/codec';

const PREFIX_BYTES = 4;

export interface FrameReaderOptions {
  /** Largest payload accepted (bytes after the 4-byte prefix). */
  readonly frameBytesMax: number;
  /** `api` of the DecodeErrors thrown (default "Frame"). */
  readonly api?: string;
}

export class FrameReader {
  readonly frameBytesMax: number;
  readonly #api: string;
  readonly #prefix = new Uint8Array(PREFIX_BYTES);
  #prefixBytes = 0;
  /** Declared length of the frame being reassembled, -1 when none. */
  #pendingLength = -1;
  /** Views of the received parts of the pending frame, in order. */
  #parts: Uint8Array[] = [];
  #pendingFilled = 0;
  #failure: DecodeError | null = null;

  constructor(options: FrameReaderOptions) {
    if (!Number.isSafeInteger(options.frameBytesMax) || options.frameBytesMax < 0 || options.frameBytesMax > 0x7fffffff) {
      throw new RangeError(`frameBytesMax must be an integer in [0, 2^31 - 1], got ${options.frameBytesMax}`);
    }
    this.frameBytesMax = options.frameBytesMax;
    this.#api = options.api ?? 'Frame';
  }

  /** Bytes received for the incomplete frame (prefix included). */
  get bufferedBytes(): number {
    return this.#prefixBytes + (this.#pendingLength < 0 ? 0 : PREFIX_BYTES + this.#pendingFilled);
  }

  /** Feeds one chunk; returns the payloads it completed (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== null) throw this.#failure;
    const frames: Uint8Array[] = [];
    const n = chunk.length;
    let pos = 0;
    // Every iteration consumes at least one byte or emits one frame (a frame costs >= 4 bytes).
    for (;;) {
      if (this.#pendingLength >= 0) {
        const take = Math.min(n - pos, this.#pendingLength - this.#pendingFilled);
        if (take > 0) this.#parts.push(chunk.subarray(pos, pos + take));
        this.#pendingFilled += take;
        pos += take;
        if (this.#pendingFilled < this.#pendingLength) break;
        frames.push(this.#assemble());
        continue;
      }
      if (this.#prefixBytes > 0 || n - pos < PREFIX_BYTES) {
        const take = Math.min(n - pos, PREFIX_BYTES - this.#prefixBytes);
        if (take === 0) break;
        this.#prefix.set(chunk.subarray(pos, pos + take), this.#prefixBytes);
        this.#prefixBytes += take;
        pos += take;
        if (this.#prefixBytes < PREFIX_BYTES) break;
        this.#prefixBytes = 0;
        this.#pendingLength = this.#checkedLength(readInt32(this.#prefix, 0));
        continue;
      }
      const length = this.#checkedLength(readInt32(chunk, pos));
      pos += PREFIX_BYTES;
      if (n - pos >= length) {
        frames.push(chunk.subarray(pos, pos + length));
        pos += length;
      } else {
        this.#pendingLength = length;
      }
    }
    return frames;
  }

  /** The pending frame as one buffer: the single part itself when it arrived whole, else one copy. */
  #assemble(): Uint8Array {
    const parts = this.#parts;
    let frame: Uint8Array;
    if (parts.length === 1) {
      frame = parts[0]!;
    } else {
      frame = new Uint8Array(this.#pendingLength);
      let at = 0;
      for (const p of parts) {
        frame.set(p, at);
        at += p.byteLength;
      }
    }
    this.#parts = [];
    this.#pendingLength = -1;
    this.#pendingFilled = 0;
    return frame;
  }

  #checkedLength(length: number): number {
    if (length < 0) this.#fail(new DecodeError('bad-length', this.#api, -1, 'length', `declared frame length ${length}`));
    if (length > this.frameBytesMax) {
      this.#fail(new DecodeError('too-large', this.#api, -1, 'length', `declared frame length ${length} > frameBytesMax ${this.frameBytesMax}`));
    }
    return length;
  }

  #fail(error: DecodeError): never {
    this.#failure = error;
    this.#parts = [];
    this.#pendingLength = -1;
    this.#prefixBytes = 0;
    throw error;
  }
}

function readInt32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}
