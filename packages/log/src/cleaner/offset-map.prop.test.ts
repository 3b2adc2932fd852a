/**
 * OffsetMap against a JavaScript Map model, and MurmurHash3 against published vectors.
 *
 * Invariants:
 * - after any sequence of puts (ascending offsets) every key maps to the latest offset put
 *   for it, and a key never put maps to −1;
 * - `size` is the number of distinct keys, never above `entriesMax`; `hasRoomFor` is exact;
 * - memory is fixed at construction (16 bytes per slot, power-of-two slots).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_HASH_SEED_A, murmur3 } from './key-hash.ts';
import { OffsetMap } from './offset-map.ts';

const enc = new TextEncoder();
const hash = (s: string, seed: number): number => {
  const b = enc.encode(s);
  return murmur3(b, 0, b.length, seed);
};

describe('murmur3', () => {
  it('matches the reference vectors', () => {
    expect(hash('', 0)).toBe(0);
    expect(hash('', 1)).toBe(0x514e28b7);
    expect(hash('test', 0)).toBe(0xba6bd213);
    expect(hash('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(hash('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });
  it('hashes a sub-range like a copy of it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), fc.nat(40), (bytes, x, y) => {
        const start = Math.min(x, y, bytes.length);
        const end = Math.min(Math.max(x, y), bytes.length);
        const copy = bytes.slice(start, end);
        expect(murmur3(bytes, start, end, KEY_HASH_SEED_A)).toBe(murmur3(copy, 0, copy.length, KEY_HASH_SEED_A));
      }),
    );
  });
});

describe('OffsetMap (model)', () => {
  it('returns the latest offset per key, as a Map would', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 300 }), fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 20 }), (keys, probes) => {
        const map = new OffsetMap(1024);
        const model = new Map<string, number>();
        let offset = 0;
        for (const key of keys) {
          const id = key.join(',');
          if (!model.has(id) && !map.hasRoomFor(1)) {
            expect(model.size).toBe(map.entriesMax);
            break;
          }
          map.put(key, 0, key.length, offset);
          model.set(id, offset);
          offset += 1 + (key[0] ?? 0) % 3;
          expect(map.size).toBe(model.size);
          expect(map.size).toBeLessThanOrEqual(map.entriesMax);
        }
        for (const key of [...keys, ...probes]) expect(map.get(key, 0, key.length)).toBe(model.get(key.join(',')) ?? -1);
      }),
    );
  });

  it('has a fixed power-of-two size and refuses out-of-order offsets', () => {
    const map = new OffsetMap(100_000);
    expect(map.slots).toBe(4096);
    expect(map.memoryBytes).toBe(65536);
    expect(map.entriesMax).toBe(Math.floor(4096 * 0.9));
    const k = enc.encode('k');
    map.put(k, 0, 1, 10);
    expect(() => map.put(k, 0, 1, 9)).toThrow(RangeError);
    map.clear();
    expect(map.get(k, 0, 1)).toBe(-1);
    expect(map.size).toBe(0);
  });

  it('fills up to entriesMax and no further', () => {
    const map = new OffsetMap(16 * 64);
    const key = new Uint8Array(4);
    const view = new DataView(key.buffer);
    let n = 0;
    while (map.hasRoomFor(1)) {
      view.setUint32(0, n);
      map.put(key, 0, 4, n);
      n++;
    }
    expect(n).toBe(map.entriesMax);
    view.setUint32(0, n);
    expect(() => map.put(key, 0, 4, n)).toThrow(RangeError);
    for (let i = 0; i < n; i++) {
      view.setUint32(0, i);
      expect(map.get(key, 0, 4)).toBe(i);
    }
  });
});
