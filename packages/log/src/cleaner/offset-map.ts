/**
 * OffsetMap: the cleaner's bounded "key → latest offset" table (Kafka's SkimpyOffsetMap).
 *
 * Layout: open addressing over typed arrays sized once at construction —
 *   `hashes`  Uint32Array(2 × slots): the key's two 32-bit hashes (see key-hash.ts);
 *   `offsets` Float64Array(slots): the latest offset seen for that key, −1 for an empty slot.
 * 16 bytes per slot, `slots` a power of two, probing by triangular numbers (visits every
 * slot of a power-of-two table). The map is "full" at `entriesMax` = ⌊slots × loadFactor⌋
 * entries; callers check `hasRoomFor(n)` before inserting a batch of n records and stop
 * there (the cleaner then cleans only up to the last offset it mapped: incremental).
 *
 * Memory: exactly `16 × slots` bytes, never grows. Single-owner (one cleaning pass).
 */
import { KEY_HASH_SEED_A, KEY_HASH_SEED_B, murmur3 } from './key-hash.ts';

export const OFFSET_MAP_SLOT_BYTES = 16;
const EMPTY = -1;

export class OffsetMap {
  readonly slots: number;
  readonly entriesMax: number;
  private readonly hashes: Uint32Array;
  private readonly offsets: Float64Array;
  private readonly mask: number;
  private entries = 0;
  /** Largest offset ever put, −1 when empty. */
  private latest = -1;

  /** `memoryBytes` is rounded down to a power-of-two number of 16-byte slots (at least 16). */
  constructor(memoryBytes: number, loadFactor = 0.9) {
    if (!(loadFactor > 0 && loadFactor <= 0.95)) throw new RangeError(`loadFactor ${loadFactor} not in (0, 0.95]`);
    let slots = 16;
    while (slots * 2 * OFFSET_MAP_SLOT_BYTES <= memoryBytes && slots < 2 ** 28) slots *= 2;
    this.slots = slots;
    this.mask = slots - 1;
    this.entriesMax = Math.floor(slots * loadFactor);
    this.hashes = new Uint32Array(slots * 2);
    this.offsets = new Float64Array(slots).fill(EMPTY);
  }

  get size(): number {
    return this.entries;
  }

  get latestOffset(): number {
    return this.latest;
  }

  get memoryBytes(): number {
    return this.slots * OFFSET_MAP_SLOT_BYTES;
  }

  hasRoomFor(newEntries: number): boolean {
    return this.entries + newEntries <= this.entriesMax;
  }

  /** Records `offset` as the latest for the key `bytes[start, end)`. Offsets must be put in ascending order. */
  put(bytes: Uint8Array, start: number, end: number, offset: number): void {
    if (offset < this.latest) throw new RangeError(`OffsetMap.put: offset ${offset} below latest ${this.latest}`);
    const a = murmur3(bytes, start, end, KEY_HASH_SEED_A);
    const b = murmur3(bytes, start, end, KEY_HASH_SEED_B);
    const slot = this.find(a, b);
    if (this.offsets[slot] === EMPTY) {
      if (this.entries >= this.entriesMax) throw new RangeError('OffsetMap.put: map is full (check hasRoomFor first)');
      this.entries++;
      this.hashes[slot * 2] = a;
      this.hashes[slot * 2 + 1] = b;
    }
    this.offsets[slot] = offset;
    this.latest = offset;
  }

  /** Latest offset put for the key `bytes[start, end)`, or −1. */
  get(bytes: Uint8Array, start: number, end: number): number {
    const slot = this.find(murmur3(bytes, start, end, KEY_HASH_SEED_A), murmur3(bytes, start, end, KEY_HASH_SEED_B));
    return this.offsets[slot]!;
  }

  clear(): void {
    this.offsets.fill(EMPTY);
    this.entries = 0;
    this.latest = -1;
  }

  /** The slot holding (a, b), or the empty slot where it would go. Terminates: the map is never full of slots. */
  private find(a: number, b: number): number {
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (let step = 1; step <= this.slots; step++) {
      if (this.offsets[slot] === EMPTY) return slot;
      if (this.hashes[slot * 2] === a && this.hashes[slot * 2 + 1] === b) return slot;
      slot = (slot + step) & this.mask;
    }
    throw new Error('OffsetMap: probe visited every slot (unreachable while entriesMax < slots)');
  }
}
