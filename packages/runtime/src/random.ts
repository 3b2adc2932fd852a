/**
 * Random: a seedable source. Simulations print the seed and replay a failure from it.
 *
 * The generator is xoshiro128** (32-bit state words, fast in JS, good statistical
 * quality); the seed is expanded with splitmix32 so any 32-bit seed works, including 0.
 */

export interface Random {
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number;
  /** Fills `bytes` with random values and returns it. */
  fill(bytes: Uint8Array): Uint8Array;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  const expand = splitmix32(seed);
  let a = expand();
  let b = expand();
  let c = expand();
  let d = expand();
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    seed,
    nextUint32,
    next: () => nextUint32() / 0x1_0000_0000,
    int(min, maxExclusive) {
      if (!(maxExclusive > min)) throw new RangeError(`empty range [${min}, ${maxExclusive})`);
      return min + Math.floor((nextUint32() / 0x1_0000_0000) * (maxExclusive - min));
    },
    fill(bytes) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = nextUint32() & 0xff;
      return bytes;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seed from the platform's crypto source, for when no seed was asked for. */
export function randomSeed(): number {
  const word = new Uint32Array(1);
  crypto.getRandomValues(word);
  return word[0]!;
}
