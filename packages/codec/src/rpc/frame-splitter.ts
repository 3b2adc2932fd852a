/**
 * FrameSplitter: cuts a TCP byte stream of length-prefixed frames into frame payloads.
 *
 *   [int32 big-endian length N][N bytes payload] [next frame] ...
 *
 * This is Kafka's framing (every request and response) and the outer layer of Samsa's
 * cluster RPC frames. `push(chunk)` takes whatever the socket delivered (partial prefixes,
 * partial frames, several coalesced frames) and returns the payloads completed by it,
 * without their 4-byte prefix, in order.
 *
 * Bounds: a declared length is checked against `frameBytesMax` as soon as its 4 prefix
 * bytes are in, before anything beyond the prefix is buffered or allocated: a negative
 * length throws DecodeError('bad-length'), a larger one DecodeError('too-large') with the
 * declared size in the message. A frame spanning chunks is reassembled in a buffer that
 * grows with what actually arrived (doubling from 16 KiB, capped at the declared length),
 * so announcing a large frame costs nothing until its bytes come; the splitter never
 * holds more than 4 + frameBytesMax bytes.
 * After throwing, the stream is out of sync: every later push throws the same error and the
 * caller must close the connection.
 *
 * Zero copy: a frame wholly inside one chunk is returned as a view of that chunk (so the
 * caller must not overwrite a chunk after pushing it; sockets hand out fresh chunks). Only a
 * frame spanning chunks is copied into the reassembly buffer (each byte at most about twice,
 * counting the doublings); the frame returned is that buffer, exactly its declared size.
 * Not safe for concurrent use; one splitter per connection.
 */
import { DecodeError } from '../decode-error.ts';

export interface FrameSplitterOptions {
  /** Largest payload accepted (bytes after the 4-byte prefix). */
  readonly frameBytesMax: number;
  /** `api` of the DecodeErrors thrown (default "Frame"). */
  readonly api?: string;
}

export const FRAME_PREFIX_BYTES = 4;
const REASSEMBLY_BYTES_MIN = 16 * 1024;
const EMPTY = new Uint8Array(0);

export class FrameSplitter {
  readonly frameBytesMax: number;
  private readonly api: string;
  private readonly prefix = new Uint8Array(FRAME_PREFIX_BYTES);
  private prefixBytes = 0;
  /** Declared length of the frame being reassembled, -1 when none. */
  private pendingLength = -1;
  private pending: Uint8Array = EMPTY;
  private pendingFilled = 0;
  private failure: DecodeError | null = null;

  constructor(options: FrameSplitterOptions) {
    if (!Number.isSafeInteger(options.frameBytesMax) || options.frameBytesMax < 0 || options.frameBytesMax > 0x7fffffff) {
      throw new RangeError(`frameBytesMax must be an integer in [0, 2^31 - 1], got ${options.frameBytesMax}`);
    }
    this.frameBytesMax = options.frameBytesMax;
    this.api = options.api ?? 'Frame';
  }

  /** Bytes received for the incomplete frame (prefix included). */
  get bufferedBytes(): number {
    return this.prefixBytes + (this.pendingLength < 0 ? 0 : FRAME_PREFIX_BYTES + this.pendingFilled);
  }

  /** Bytes of memory the splitter holds: at most max(16 KiB, 2 × bufferedBytes), never the announced size up front. */
  get retainedBytes(): number {
    return FRAME_PREFIX_BYTES + this.pending.length;
  }

  /** Feeds one chunk; returns the payloads it completed (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== null) throw this.failure;
    const frames: Uint8Array[] = [];
    const n = chunk.length;
    let pos = 0;
    // Every iteration consumes at least one byte or emits one frame (a frame costs >= 4 bytes).
    for (;;) {
      if (this.pendingLength >= 0) {
        const take = Math.min(n - pos, this.pendingLength - this.pendingFilled);
        this.reserve(this.pendingFilled + take);
        this.pending.set(chunk.subarray(pos, pos + take), this.pendingFilled);
        this.pendingFilled += take;
        pos += take;
        if (this.pendingFilled < this.pendingLength) break;
        frames.push(this.pending); // reserve() never grows past the declared length
        this.pending = EMPTY;
        this.pendingLength = -1;
        this.pendingFilled = 0;
        continue;
      }
      if (this.prefixBytes > 0 || n - pos < FRAME_PREFIX_BYTES) {
        const take = Math.min(n - pos, FRAME_PREFIX_BYTES - this.prefixBytes);
        if (take === 0) break;
        this.prefix.set(chunk.subarray(pos, pos + take), this.prefixBytes);
        this.prefixBytes += take;
        pos += take;
        if (this.prefixBytes < FRAME_PREFIX_BYTES) break;
        this.prefixBytes = 0;
        this.pendingLength = this.checkedLength(readInt32(this.prefix, 0));
        continue;
      }
      const length = this.checkedLength(readInt32(chunk, pos));
      pos += FRAME_PREFIX_BYTES;
      if (n - pos >= length) {
        frames.push(chunk.subarray(pos, pos + length));
        pos += length;
      } else {
        this.pendingLength = length;
      }
    }
    return frames;
  }

  /**
   * Grows the reassembly buffer to hold `needed` bytes: doubling from 16 KiB, capped at
   * the declared length, so a peer that announces a large frame and trickles it costs
   * memory in proportion to what it actually sent.
   */
  private reserve(needed: number): void {
    if (needed <= this.pending.length) return;
    const grown = new Uint8Array(Math.min(this.pendingLength, Math.max(needed, this.pending.length * 2, REASSEMBLY_BYTES_MIN)));
    grown.set(this.pending.subarray(0, this.pendingFilled));
    this.pending = grown;
  }

  private checkedLength(length: number): number {
    if (length < 0) this.fail(new DecodeError('bad-length', this.api, -1, 'length', `declared frame length ${length}`));
    if (length > this.frameBytesMax) {
      this.fail(new DecodeError('too-large', this.api, -1, 'length', `declared frame length ${length} > frameBytesMax ${this.frameBytesMax}`));
    }
    return length;
  }

  private fail(error: DecodeError): never {
    this.failure = error;
    this.pending = EMPTY;
    this.pendingLength = -1;
    this.prefixBytes = 0;
    throw error;
  }
}

function readInt32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}
