/**
 * GrowableBytes: the contents of one in-memory file, a byte array with spare capacity.
 *
 * Invariants: `length <= bytes.byteLength <= capacityMax`; bytes past `length` are zero
 * (so extending by truncate or a write past the end reads back zeros without a fill).
 * Single-threaded: callers are the memory file system's handles, one call at a time.
 */

export class GrowableBytes {
  private bytes: Uint8Array;
  private used = 0;
  readonly capacityMax: number;

  constructor(capacityMax: number, initial?: Uint8Array) {
    this.capacityMax = capacityMax;
    this.bytes = new Uint8Array(Math.max(64, initial?.byteLength ?? 0));
    if (initial) {
      this.bytes.set(initial);
      this.used = initial.byteLength;
    }
  }

  get length(): number {
    return this.used;
  }

  /** Whether the content may grow to `lengthBytes` without passing `capacityMax`. */
  fits(lengthBytes: number): boolean {
    return lengthBytes <= this.capacityMax;
  }

  /** Writes `source` at `position`, zero-filling any gap past the current end. */
  write(position: number, source: Uint8Array): void {
    const end = position + source.byteLength;
    this.reserve(end);
    this.bytes.set(source, position);
    if (end > this.used) this.used = end;
  }

  /** Sets the length; shrinking zeroes the cut bytes so a later extension reads zeros. */
  truncate(lengthBytes: number): void {
    if (lengthBytes < this.used) {
      this.bytes.fill(0, lengthBytes, this.used);
    } else {
      this.reserve(lengthBytes);
    }
    this.used = lengthBytes;
  }

  /** Copies bytes from `position` into `target`; returns how many (0 at or past the end). */
  readInto(target: Uint8Array, position: number): number {
    if (position >= this.used) return 0;
    const n = Math.min(target.byteLength, this.used - position);
    target.set(this.bytes.subarray(position, position + n));
    return n;
  }

  /** A copy of the content. */
  snapshot(): Uint8Array {
    return this.bytes.slice(0, this.used);
  }

  clone(): GrowableBytes {
    return new GrowableBytes(this.capacityMax, this.bytes.subarray(0, this.used));
  }

  private reserve(lengthBytes: number): void {
    if (lengthBytes <= this.bytes.byteLength) return;
    if (lengthBytes > this.capacityMax) throw new RangeError(`file would exceed ${this.capacityMax} bytes`);
    let capacity = this.bytes.byteLength;
    while (capacity < lengthBytes) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, this.capacityMax));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}
