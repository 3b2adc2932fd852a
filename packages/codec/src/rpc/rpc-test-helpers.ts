// Test helpers shared by the rpc tests (not exported from the package barrel).
import { DecodeError } from '../decode-error.ts';

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Splits `bytes` at the given sorted cut points into fresh copies (as a socket would deliver). */
export function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.slice(start, cut));
    start = cut;
  }
  return chunks;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs fn; returns the DecodeError it threw, rethrows anything else, null when it returned. */
export function catchDecodeError(fn: () => unknown): DecodeError | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
}

export function lengthPrefixed(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}
