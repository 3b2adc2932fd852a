/**
 * The native-decompressor hook: setNativeDecompressor installs a function only if it answers
 * as pako does on the probe vectors (bytes, the bound, truncated and corrupt members),
 * otherwise it throws and the previous implementation stays; once installed, gzipDecompress
 * calls it, only DecodeErrors escape, and an output past maxBytes is refused.
 * (The real node:zlib inflater is tested in apps/broker-node/src/gzip-accelerator.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { CompressionType, compress, decompress, gzipDecompressPureJs, nativeDecompressor, setNativeDecompressor } from './index.ts';
import type { NativeDecompressor } from './index.ts';

/** The text of the self-check's second member. */
const SECOND_MEMBER = 'second member';
const data = new TextEncoder().encode('some gzip payload '.repeat(50));

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (error) {
    return error instanceof DecodeError ? error.reason : `not a DecodeError: ${String(error)}`;
  }
}

describe('setNativeDecompressor (gzip)', () => {
  afterEach(() => setNativeDecompressor('gzip', null));

  it('installs a decompressor that answers as pako does, and gzip decoding goes through it', () => {
    let calls = 0;
    const counting: NativeDecompressor = (bytes, maxBytes) => {
      calls++;
      return gzipDecompressPureJs(bytes, maxBytes);
    };
    setNativeDecompressor('gzip', counting);
    expect(nativeDecompressor('gzip')).toBe(counting);
    calls = 0;
    const encoded = compress(CompressionType.gzip, data);
    expect(decompress(CompressionType.gzip, encoded, data.length)).toEqual(data);
    expect(reason(() => decompress(CompressionType.gzip, encoded, data.length - 1))).toBe('too-large');
    expect(calls).toBe(2);
    // The cheap input check stays in the codec: a 3-byte input never reaches the native one.
    expect(reason(() => decompress(CompressionType.gzip, new Uint8Array(3), 100))).toBe('decompression');
    expect(calls).toBe(2);
  });

  const broken: ReadonlyArray<[string, NativeDecompressor]> = [
    ['returns other bytes', (bytes, maxBytes) => gzipDecompressPureJs(bytes, maxBytes).map((b) => b ^ 1)],
    ['reports the bound as corrupt input', (bytes, maxBytes) => {
      const out = gzipDecompressPureJs(bytes, Number.MAX_SAFE_INTEGER);
      if (out.length > maxBytes) throw new DecodeError('decompression', 'Compression', -1, 'gzip', 'too long');
      return out;
    }],
    ['throws a RangeError past the bound instead of too-large', (bytes, maxBytes) => {
      try {
        return gzipDecompressPureJs(bytes, maxBytes);
      } catch (error) {
        if (error instanceof DecodeError && error.reason === 'too-large') throw new RangeError('buffer too large');
        throw error;
      }
    }],
    ['returns what it has of a truncated or corrupt member', (bytes, maxBytes) => {
      try {
        return gzipDecompressPureJs(bytes, maxBytes);
      } catch (error) {
        if (error instanceof DecodeError && error.reason === 'decompression') return new Uint8Array(0);
        throw error;
      }
    }],
    ['stops after the first member', (bytes, maxBytes) => {
      const out = gzipDecompressPureJs(bytes, maxBytes);
      const tail = new TextDecoder().decode(out.subarray(-SECOND_MEMBER.length));
      return tail === SECOND_MEMBER ? out.subarray(0, out.length - SECOND_MEMBER.length) : out;
    }],
  ];
  for (const [what, fn] of broken) {
    it(`refuses a decompressor that ${what}, keeping the previous one`, () => {
      expect(() => setNativeDecompressor('gzip', fn)).toThrow(/native gzip decompressor failed its self-check/);
      expect(nativeDecompressor('gzip')).toBeNull();
    });
  }

  it('maps whatever an installed decompressor throws to DecodeError, and refuses an output past the bound', () => {
    let mode: 'pass' | 'throw' | 'overrun' = 'pass';
    setNativeDecompressor('gzip', (bytes, maxBytes) => {
      if (mode === 'throw') throw new TypeError('native failure');
      if (mode === 'overrun') return new Uint8Array(maxBytes + 1);
      return gzipDecompressPureJs(bytes, maxBytes);
    });
    const encoded = compress(CompressionType.gzip, data);
    mode = 'throw';
    expect(reason(() => decompress(CompressionType.gzip, encoded, data.length))).toBe('decompression');
    mode = 'overrun';
    expect(reason(() => decompress(CompressionType.gzip, encoded, data.length))).toBe('too-large');
  });

  it('null restores pako', () => {
    setNativeDecompressor('gzip', (bytes, maxBytes) => gzipDecompressPureJs(bytes, maxBytes));
    setNativeDecompressor('gzip', null);
    expect(nativeDecompressor('gzip')).toBeNull();
  });
});
