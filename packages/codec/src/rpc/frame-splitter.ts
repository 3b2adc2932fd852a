/**
 * FrameSplitter: cuts a TCP byte stream of length-prefixed frames into frame payloads.
 *
 *   [int32 big-endian length N][N bytes payload] [next frame] ...
 *
 * This is Kafka's framing (every request and response; the broker's connections use it)
 * and the outer layer of Samsa's cluster RPC frames. `push(chunk)` takes whatever the
 * socket delivered (partial prefixes, partial frames, several coalesced frames) and returns
 * the payloads completed by it, without their 4-byte prefix, in order.
 *
 * Bounds: a declared length is checked against `frameBytesMax` as soon as its 4 prefix
 * bytes are in, before anything beyond the prefix is buffered or allocated: a negative
 * length throws DecodeError('bad-length'), a larger one DecodeError('too-large') with the
 * declared size in the message. After throwing, the stream is out of sync: every later
 * push throws the same error and the caller must close the connection.
 *
 * Zero copy: a frame wholly inside one chunk is returned as a view of that chunk (so the
 * caller must not overwrite a chunk after pushing it; sockets hand out fresh chunks).
 *
 * Reassembly of a frame spanning chunks, copying each byte once at most:
 * - a piece of ≥ PIECE_VIEW_MIN_BYTES (4 KiB) is kept as a view of its chunk;
 * - smaller pieces are copied into a coalescing buffer of min(16 KiB, bytes still due),
 *   which joins the kept parts when it is full or a large piece comes (then as an exact
 *   copy of what it holds, the buffer being reused);
 * - when the last byte is in, the parts are copied once into a buffer of exactly the
 *   declared size (a frame that is one part is that part), or into the start of the
 *   caller's buffer when option `assembleInto` lends one.
 * So a 1 MB produce request in 64 KiB socket reads costs one copy (a doubling buffer cost
 * about seven allocations and copies), and a peer that trickles a frame byte by byte costs
 * about one byte of memory per byte sent, not a view object per byte (~190 bytes each).
 * Memory held (`retainedBytes`): the bytes received for the pending frame plus at most one
 * 16 KiB coalescing buffer plus the prefix; never the announced size up front.
 *
 * Reservations (option `reserve`, the broker's queued.max.request.bytes pool): when a
 * frame's length is known from its prefix, `reserve(length)` is asked before any payload
 * byte is kept. If it says no, the splitter stops there (`awaitingGrant`): the rest of the
 * chunk and any chunk pushed meanwhile are held as they are (the caller pauses the
 * socket, so that is at most what was already read), and nothing more is returned until
 * the caller, once it obtained the bytes, calls `granted()`. A reserved frame that spans
 * chunks is copied straight into one buffer of its declared size (its bytes are already
 * accounted for), so it is held once, not as pieces plus a final copy.
 * Filling in place (option `fillInPlace`, for a reader that trusts the declared sizes, such
 * as a client reading its broker's responses): a frame that spans chunks goes into one
 * buffer of its declared size, allocated once the prefix is in, as in reserve mode; and
 * `readBuffer()` offers the part of it still due, so a transport that honours the offer
 * (ConnectionHandlers.readBuffer) has the kernel copy straight into the frame. A pushed
 * chunk that already lies at the frame's fill position is taken without a copy. Costs:
 * the declared size (≤ frameBytesMax) is allocated before its bytes arrive.
 * Not safe for concurrent use; one splitter per connection.
 */
import { DecodeError } from '../decode-error.ts';

export interface FrameSplitterOptions {
  /** Largest payload accepted (bytes after the 4-byte prefix). */
  readonly frameBytesMax: number;
  /** `api` of the DecodeErrors thrown (default "Frame"). */
  readonly api?: string;
  /**
   * Asked for each frame's declared length once its prefix is in (after the size check):
   * true if the bytes were reserved, false to stop until `granted()` (see the file comment).
   */
  readonly reserve?: (frameBytes: number) => boolean;
  /**
   * Asked for a buffer when a frame that spans chunks is complete: one of at least
   * `frameBytes` to join its parts into (the payload is then a view of its start), or null
   * for a fresh one. Lets a caller that handles one frame at a time reuse one buffer instead
   * of allocating per frame; the caller must not hand out a buffer whose previous payload
   * is still in use. Not asked in reserve mode, nor for a frame inside one chunk (a view).
   */
  readonly assembleInto?: (frameBytes: number) => Uint8Array | null;
  /** Reassemble spanning frames in one buffer of their declared size and offer it to reads (see the file comment). */
  readonly fillInPlace?: boolean;
}

export const FRAME_PREFIX_BYTES = 4;
/** Pieces of a spanning frame at least this long are kept as views of their chunk. */
const PIECE_VIEW_MIN_BYTES = 4 * 1024;
/** Capacity of the buffer that coalesces smaller pieces. */
const COALESCE_BYTES = 16 * 1024;
const NO_BYTES = new Uint8Array(0);

export class FrameSplitter {
  readonly frameBytesMax: number;
  readonly #api: string;
  readonly #prefix = new Uint8Array(FRAME_PREFIX_BYTES);
  #prefixBytes = 0;
  /** Declared length of the frame being reassembled, -1 when none. */
  #pendingLength = -1;
  /** Bytes of the pending frame received so far (in #parts and #small). */
  #pendingFilled = 0;
  /** The pending frame's bytes before #small's, in order: chunk views and exact copies. */
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  /** Coalescing buffer for small pieces (null until one comes), and how much of it is used. */
  #small: Uint8Array | null = null;
  #smallFilled = 0;
  #failure: DecodeError | null = null;
  readonly #reserve: ((frameBytes: number) => boolean) | null;
  readonly #assembleInto: ((frameBytes: number) => Uint8Array | null) | null;
  readonly #fillInPlace: boolean;
  /** The pending frame's length is known but its bytes are not reserved yet. */
  #awaiting = false;
  /** Bytes received while awaiting a grant, in order (views of the pushed chunks). */
  #held: Uint8Array[] = [];
  /** A reserved frame's buffer of its declared size, filled as pieces come (reserve mode). */
  #exact: Uint8Array | null = null;
  #copiedBytes = 0;

  constructor(options: FrameSplitterOptions) {
    if (!Number.isSafeInteger(options.frameBytesMax) || options.frameBytesMax < 0 || options.frameBytesMax > 0x7fffffff) {
      throw new RangeError(`frameBytesMax must be an integer in [0, 2^31 - 1], got ${options.frameBytesMax}`);
    }
    this.frameBytesMax = options.frameBytesMax;
    this.#api = options.api ?? 'Frame';
    this.#reserve = options.reserve ?? null;
    this.#assembleInto = options.assembleInto ?? null;
    this.#fillInPlace = options.fillInPlace === true;
  }

  /**
   * With `fillInPlace`: the pending frame's bytes still due (a view of its buffer), for the
   * next read to land in; null when no frame is pending (then the transport's own buffer
   * is right: it may hold several small frames).
   */
  readBuffer(): Uint8Array | null {
    if (!this.#fillInPlace || this.#failure !== null || this.#pendingLength <= 0 || this.#pendingFilled >= this.#pendingLength) return null;
    this.#exact ??= new Uint8Array(this.#pendingLength);
    return this.#exact.subarray(this.#pendingFilled, this.#pendingLength);
  }

  /** True while the pending frame waits for its reservation (see `granted`). */
  get awaitingGrant(): boolean {
    return this.#awaiting;
  }

  /** Bytes received for the incomplete frame (prefix included). */
  get bufferedBytes(): number {
    return this.#prefixBytes + (this.#pendingLength < 0 ? 0 : FRAME_PREFIX_BYTES + this.#pendingFilled) + this.#heldBytes();
  }

  /** Bytes the splitter holds: ≤ 4 + bufferedBytes + 16 KiB, never the announced size up front. */
  get retainedBytes(): number {
    return FRAME_PREFIX_BYTES + this.#partsBytes + (this.#small?.byteLength ?? 0) + (this.#exact?.byteLength ?? 0) + this.#heldBytes();
  }

  #heldBytes(): number {
    let n = 0;
    for (const h of this.#held) n += h.byteLength;
    return n;
  }

  /** Bytes copied so far to reassemble frames (a frame filled in place, or inside one chunk, costs none). */
  get copiedBytes(): number {
    return this.#copiedBytes;
  }

  /** Buffers and chunk views held for the pending frame (a trickled frame needs one per 16 KiB, not one per chunk). */
  get partsHeld(): number {
    return this.#parts.length + (this.#small === null ? 0 : 1);
  }

  /** Feeds one chunk; returns the payloads it completed (possibly none; none while awaiting a grant). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== null) throw this.#failure;
    const frames: Uint8Array[] = [];
    if (this.#awaiting) {
      if (chunk.byteLength > 0) this.#held.push(chunk);
      return frames;
    }
    this.#consume(chunk, frames);
    return frames;
  }

  /**
   * The caller reserved the pending frame's bytes (after `reserve` said no): goes on with
   * the held bytes; returns the payloads they complete (it may stop at the next frame again).
   */
  granted(): Uint8Array[] {
    if (!this.#awaiting) throw new Error('granted() without a frame awaiting its reservation');
    this.#awaiting = false;
    const frames: Uint8Array[] = [];
    // An empty frame is complete as soon as it is granted, even with nothing held.
    this.#consume(NO_BYTES, frames);
    while (this.#held.length > 0 && !this.#awaiting) this.#consume(this.#held.shift()!, frames);
    return frames;
  }

  /** Whether the frame just announced may be read now; if not, keeps `rest` (its bytes after the prefix) for `granted`. */
  #reserved(length: number, rest: Uint8Array): boolean {
    if (this.#reserve === null || this.#reserve(length)) return true;
    this.#awaiting = true;
    // `rest` came from the head of the held list (or a fresh push, with the list empty).
    if (rest.byteLength > 0) this.#held.unshift(rest);
    return false;
  }

  #consume(chunk: Uint8Array, frames: Uint8Array[]): void {
    const n = chunk.length;
    let pos = 0;
    // Every iteration consumes at least one byte or emits one frame (a frame costs >= 4 bytes).
    for (;;) {
      if (this.#pendingLength >= 0) {
        const take = Math.min(n - pos, this.#pendingLength - this.#pendingFilled);
        if (take > 0) this.#keep(chunk.subarray(pos, pos + take));
        pos += take;
        if (this.#pendingFilled < this.#pendingLength) break;
        frames.push(this.#assemble());
        continue;
      }
      if (this.#prefixBytes > 0 || n - pos < FRAME_PREFIX_BYTES) {
        const take = Math.min(n - pos, FRAME_PREFIX_BYTES - this.#prefixBytes);
        if (take === 0) break;
        this.#prefix.set(chunk.subarray(pos, pos + take), this.#prefixBytes);
        this.#prefixBytes += take;
        pos += take;
        if (this.#prefixBytes < FRAME_PREFIX_BYTES) break;
        this.#prefixBytes = 0;
        this.#pendingLength = this.#checkedLength(readInt32(this.#prefix, 0));
        if (!this.#reserved(this.#pendingLength, chunk.subarray(pos))) return;
        continue;
      }
      const length = this.#checkedLength(readInt32(chunk, pos));
      pos += FRAME_PREFIX_BYTES;
      this.#pendingLength = length;
      if (!this.#reserved(length, chunk.subarray(pos))) return;
      if (n - pos >= length) {
        frames.push(chunk.subarray(pos, pos + length));
        pos += length;
        this.#pendingLength = -1;
      }
    }
  }

  /** Takes one piece of the pending frame (see the file comment). */
  #keep(piece: Uint8Array): void {
    const dueBytes = this.#pendingLength - this.#pendingFilled;
    if (this.#reserve !== null || this.#fillInPlace) {
      this.#exact ??= new Uint8Array(this.#pendingLength);
      const inPlace = piece.buffer === this.#exact.buffer && piece.byteOffset === this.#exact.byteOffset + this.#pendingFilled;
      if (!inPlace) {
        this.#exact.set(piece, this.#pendingFilled);
        this.#copiedBytes += piece.byteLength;
      }
      this.#pendingFilled += piece.byteLength;
      return;
    }
    this.#pendingFilled += piece.byteLength;
    if (piece.byteLength >= PIECE_VIEW_MIN_BYTES) {
      this.#flushSmall();
      this.#addPart(piece);
      return;
    }
    let at = 0;
    while (at < piece.byteLength) {
      if (this.#small === null) this.#small = new Uint8Array(Math.min(COALESCE_BYTES, dueBytes - at));
      const take = Math.min(piece.byteLength - at, this.#small.byteLength - this.#smallFilled);
      this.#small.set(piece.subarray(at, at + take), this.#smallFilled);
      this.#smallFilled += take;
      at += take;
      if (this.#smallFilled === this.#small.byteLength) {
        // Full: it becomes a part as it is; the next small piece starts a new buffer.
        this.#addPart(this.#small);
        this.#small = null;
        this.#smallFilled = 0;
      }
    }
  }

  /** Moves what the coalescing buffer holds into the parts (an exact copy; the buffer is reused). */
  #flushSmall(): void {
    if (this.#small === null || this.#smallFilled === 0) return;
    this.#addPart(this.#small.slice(0, this.#smallFilled));
    this.#smallFilled = 0;
  }

  #addPart(part: Uint8Array): void {
    this.#parts.push(part);
    this.#partsBytes += part.byteLength;
  }

  /** The pending frame as one buffer: the single part itself when there is one, else one copy. */
  #assemble(): Uint8Array {
    this.#flushSmall();
    const parts = this.#parts;
    let frame: Uint8Array;
    if (this.#exact !== null) {
      frame = this.#exact;
    } else if (parts.length === 1) {
      frame = parts[0]!;
    } else {
      const into = this.#assembleInto?.(this.#pendingLength) ?? null;
      frame = into !== null && into.byteLength >= this.#pendingLength ? into.subarray(0, this.#pendingLength) : new Uint8Array(this.#pendingLength);
      let at = 0;
      for (const p of parts) {
        frame.set(p, at);
        at += p.byteLength;
      }
    }
    this.#reset();
    return frame;
  }

  #reset(): void {
    this.#exact = null;
    this.#parts = [];
    this.#partsBytes = 0;
    this.#small = null;
    this.#smallFilled = 0;
    this.#pendingLength = -1;
    this.#pendingFilled = 0;
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
    this.#reset();
    this.#prefixBytes = 0;
    this.#awaiting = false;
    this.#held = [];
    throw error;
  }
}

function readInt32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}
