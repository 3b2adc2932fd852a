/**
 * KafkaFrameSplitter: turns arbitrary TCP chunks into complete Kafka request frames.
 *
 * Wire layout: int32 size (big-endian, ≥ 0) | size bytes of payload. `push` returns the
 * payloads (size prefix stripped) of every frame completed by the chunk, in order.
 *
 * Limits: a size above `frameBytesMax` (or negative) throws DecodeError('too-large' /
 * 'bad-length') as soon as the 4 prefix bytes are in — BEFORE any buffer for the frame is
 * allocated. Buffered bytes never exceed frameBytesMax + 4 plus one chunk.
 *
 * Copies: a frame that lies entirely inside one chunk is returned as a view of the chunk
 * (zero copy); a frame spanning chunks is assembled once, when its last byte arrived,
 * into an exactly-sized buffer. Until then the splitter only holds the chunk views it
 * was given, so memory follows the bytes actually received, not the size a (possibly
 * slow or lying) client announced. Returned frames are never reused by the splitter.
 */
import { DecodeError } from '@samsa/codec';

const PREFIX_BYTES = 4;

export class KafkaFrameSplitter {
  readonly #frameBytesMax: number;
  /** Partial size prefix (when fewer than 4 bytes arrived). */
  readonly #prefix = new Uint8Array(PREFIX_BYTES);
  #prefixBytes = 0;
  /** The frame being assembled across chunks: its announced size and the parts so far. */
  #frameSize = -1;
  #parts: Uint8Array[] = [];
  #frameFilled = 0;

  constructor(options: { readonly frameBytesMax: number }) {
    this.#frameBytesMax = options.frameBytesMax;
  }

  /** Bytes held for incomplete frames. */
  get bufferedBytes(): number {
    return this.#prefixBytes + this.#frameFilled;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let pos = 0;
    // Every iteration consumes at least one byte or ends the loop.
    while (pos < chunk.byteLength) {
      if (this.#frameSize >= 0) {
        const take = Math.min(this.#frameSize - this.#frameFilled, chunk.byteLength - pos);
        this.#parts.push(chunk.subarray(pos, pos + take));
        this.#frameFilled += take;
        pos += take;
        if (this.#frameFilled === this.#frameSize) frames.push(this.#assemble());
        continue;
      }
      let size: number;
      if (this.#prefixBytes === 0 && chunk.byteLength - pos >= PREFIX_BYTES) {
        size = readSize(chunk, pos);
        pos += PREFIX_BYTES;
      } else {
        const take = Math.min(PREFIX_BYTES - this.#prefixBytes, chunk.byteLength - pos);
        this.#prefix.set(chunk.subarray(pos, pos + take), this.#prefixBytes);
        this.#prefixBytes += take;
        pos += take;
        if (this.#prefixBytes < PREFIX_BYTES) break;
        size = readSize(this.#prefix, 0);
        this.#prefixBytes = 0;
      }
      this.#checkSize(size);
      if (chunk.byteLength - pos >= size) {
        frames.push(chunk.subarray(pos, pos + size));
        pos += size;
      } else {
        this.#frameSize = size;
        this.#frameFilled = 0;
      }
    }
    return frames;
  }

  #assemble(): Uint8Array {
    const frame = new Uint8Array(this.#frameSize);
    let at = 0;
    for (const p of this.#parts) {
      frame.set(p, at);
      at += p.byteLength;
    }
    this.#parts = [];
    this.#frameSize = -1;
    this.#frameFilled = 0;
    return frame;
  }

  #checkSize(size: number): void {
    if (size < 0) throw new DecodeError('bad-length', 'RequestFrame', -1, 'size', `negative frame size ${size}`);
    if (size > this.#frameBytesMax) {
      throw new DecodeError('too-large', 'RequestFrame', -1, 'size', `frame of ${size} bytes exceeds ${this.#frameBytesMax}`);
    }
  }
}

function readSize(b: Uint8Array, pos: number): number {
  return ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) | 0;
}
