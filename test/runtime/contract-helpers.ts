/**
 * Helpers shared by the runtime contract suites (file-system-, transport-, clock- and
 * runtime-contract.ts): byte builders, the error code a promise rejects with, fast byte
 * comparison, and a bounded poll. Test-only; no state.
 */
import { expect } from 'vitest';
import { FileSystemError, type FileHandle } from '../../packages/runtime/src/file-system.ts';
import { TransportError } from '../../packages/runtime/src/transport.ts';

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
export const text = new TextEncoder();

/** The error code a promise rejects with ('resolved' if it does not). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FileSystemError || error instanceof TransportError) return error.code;
    throw error;
  }
  return 'resolved';
}

export async function readAll(handle: FileHandle): Promise<Uint8Array> {
  const out = new Uint8Array(await handle.size());
  const n = await handle.read(out, 0);
  return out.subarray(0, n);
}

/** Compares big byte arrays quickly (toEqual on a 1 MiB Uint8Array takes seconds). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  let firstDiff = -1;
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff).toBe(-1);
}

/** Deterministic pseudo-random bytes (xorshift32 from `seed`). */
export function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Polls `condition` every few ms until true or `timeoutMs` passes (then fails). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
