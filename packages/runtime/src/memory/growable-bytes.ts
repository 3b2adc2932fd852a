/**
 * GrowableBytes: the contents of one in-memory file, a sparse-tailed byte array.
 *
 * `length` is the file size; `bytes` holds the first `bytes.byteLength` of them and every
 * position past that (up to `length`) reads as zero without being stored. So extending a
 * file by truncate — how Kafka preallocates its 10 MiB indices — costs no memory until
 * something is written there, as on a real file system with sparse files.
 *
 * Invariants: `length <= capacityMax`; stored bytes at or past `length` are zero (so a
 * later extension reads zeros). Single-threaded: callers are the memory file system's
 * handles, one call at a time.
 */

export class GrowableBytes {
  private bytes: Uint8Array;
  private used = 0;
  readonly capacityMax: number;

  constructor(capacityMax: number, initial?: Uint8Array, lengthBytes?: number) {
    this.capacityMax = capacityMax;
    this.bytes = new Uint8Array(Math.max(64, initial?.byteLength ?? 0));
    if (initial) this.bytes.set(initial);
    this.used = lengthBytes ?? initial?.byteLength ?? 0;
  }

  get length(): number {
    return this.used;
  }

  /** Bytes of memory actually stored (the rest of the file is an implicit zero tail). */
  get storedBytes(): number {
    return this.bytes.byteLength;
  }

  /** Writes `source` at `position`, zero-filling any gap past the current end. */
  write(position: number, source: Uint8Array): void {
    const end = position + source.byteLength;
    if (end > this.capacityMax) throw new RangeError(`file would exceed ${this.capacityMax} bytes`);
    this.store(end);
    this.bytes.set(source, position);
    if (end > this.used) this.used = end;
  }

  /** Sets the length; shrinking zeroes the cut stored bytes so a later extension reads zeros. */
  truncate(lengthBytes: number): void {
    if (lengthBytes > this.capacityMax) throw new RangeError(`file would exceed ${this.capacityMax} bytes`);
    if (lengthBytes < this.used) this.bytes.fill(0, Math.min(lengthBytes, this.bytes.byteLength), Math.min(this.used, this.bytes.byteLength));
    this.used = lengthBytes;
  }

  /** Copies bytes from `position` into `target`; returns how many (0 at or past the end). */
  readInto(target: Uint8Array, position: number): number {
    if (position >= this.used) return 0;
    const n = Math.min(target.byteLength, this.used - position);
    const storedEnd = Math.min(position + n, this.bytes.byteLength);
    if (storedEnd > position) target.set(this.bytes.subarray(position, storedEnd));
    const copied = Math.max(0, storedEnd - position);
    if (copied < n) target.fill(0, copied, n);
    return n;
  }

  /** A copy of the content. */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.used);
    out.set(this.bytes.subarray(0, Math.min(this.used, this.bytes.byteLength)));
    return out;
  }

  clone(): GrowableBytes {
    return new GrowableBytes(this.capacityMax, this.bytes.subarray(0, Math.min(this.used, this.bytes.byteLength)), this.used);
  }

  /** Makes positions below `end` stored (grows by doubling, never past `capacityMax`). */
  private store(end: number): void {
    if (end <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength;
    while (capacity < end) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, this.capacityMax));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}
