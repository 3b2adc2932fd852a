// node:zlib's gunzip (@samsa/runtime/node/accelerators), installed by @samsa/host as the codec's gzip decompressor, must answer exactly as pako:
// same bytes, same DecodeError reasons (bound, corrupt, truncated), concatenated members,
// and zip bombs stopped at maxBytes. A zlib that misbehaves must be refused at install.
// The codec's own compression suites also run here with the accelerator installed
// (gzip-accelerator.codec-suites.test.ts).
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CompressionType, DecodeError, compress, decompress, gzipDecompressPureJs, nativeDecompressor, setNativeDecompressor } from '@samsa/codec';
import { silentLogger } from '@samsa/broker';
import { installAccelerators } from '@samsa/host';
import type { AcceleratorOutcome } from '@samsa/host';
import { loadNativeGunzip, type GunzipModule } from '@samsa/runtime/node/accelerators';

/** node:zlib's bounded gunzip (@samsa/runtime/node/accelerators) installed by the host, as both apps do. */
function installGzipAccelerator(zlib?: GunzipModule): AcceleratorOutcome {
  return installAccelerators({ gunzip: loadNativeGunzip(zlib) }, silentLogger).gzip;
}

const KiB = 1024;
const MiB = 1024 * KiB;

function outcome(fn: () => Uint8Array): string {
  try {
    return `ok ${Buffer.from(fn()).toString('base64')}`;
  } catch (error) {
    return error instanceof DecodeError ? `error ${error.reason}` : `not a DecodeError: ${String(error)}`;
  }
}

function native(data: Uint8Array, maxBytes: number): string {
  return outcome(() => decompress(CompressionType.gzip, data, maxBytes));
}

/**
 * Native and pako agree, except on input both past the bound and corrupt: the first error
 * each meets depends on its chunking (zlib reads a trailing garbage byte in the same call
 * that produces the output), and either refuses the batch.
 */
function expectSameAsPako(data: Uint8Array, maxBytes: number): void {
  const got = native(data, maxBytes);
  const want = pako(data, maxBytes);
  if (got === want) return;
  expect([got, want]).toEqual(['error decompression', 'error too-large']);
  expect(pako(data, 64 * MiB)).toBe('error decompression');
}

function pako(data: Uint8Array, maxBytes: number): string {
  return outcome(() => gzipDecompressPureJs(data, maxBytes));
}

/** Random bytes mixed with runs, so deflate finds matches. */
const payload = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 2 * KiB }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 64 * KiB })).map(([b, n]) => new Uint8Array(n).fill(b)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => Buffer.concat(parts));

describe('gzip accelerator (node:zlib)', () => {
  afterEach(() => setNativeDecompressor('gzip', null));

  it('installs node:zlib on this runtime', () => {
    expect(installGzipAccelerator()).toEqual({ implementation: 'native' });
    expect(nativeDecompressor('gzip')).not.toBeNull();
  });

  it('answers as pako on round trips, tight bounds, members and mutated or cut frames', () => {
    expect(installGzipAccelerator().implementation).toBe('native');
    fc.assert(
      fc.property(payload, payload, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), fc.nat(), (a, b, edits, cut, bound) => {
        const encoded = compress(CompressionType.gzip, a);
        const two = Buffer.concat([encoded, compress(CompressionType.gzip, b)]);
        expect(native(encoded, a.length)).toBe(`ok ${Buffer.from(a).toString('base64')}`);
        for (const [data, size] of [[encoded, a.length], [two, a.length + b.length]] as const) {
          for (const maxBytes of [size, size - 1, 0, bound % (size + 2)]) {
            if (maxBytes >= 0) expectSameAsPako(data, maxBytes);
          }
        }
        const mutated = encoded.slice();
        for (const [at, value] of edits) mutated[at % mutated.length] = value;
        expectSameAsPako(mutated, 1 * MiB);
        const truncated = encoded.subarray(0, cut % encoded.length);
        expectSameAsPako(truncated, 1 * MiB);
      }),
      { numRuns: 60 },
    );
  });

  it('answers as pako on random bytes and on trailing bytes after a member', () => {
    expect(installGzipAccelerator().implementation).toBe('native');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 * KiB }), fc.uint8Array({ maxLength: 16 }), fc.integer({ min: 0, max: 1 << 20 }), (bytes, tail, maxBytes) => {
        expectSameAsPako(bytes, maxBytes);
        const withTail = Buffer.concat([compress(CompressionType.gzip, bytes), tail]);
        expectSameAsPako(withTail, maxBytes);
      }),
      { numRuns: 200 },
    );
  });

  it('stops a zip bomb at the bound, also when ISIZE lies, and returns plain Uint8Arrays', () => {
    expect(installGzipAccelerator().implementation).toBe('native');
    const bomb = compress(CompressionType.gzip, new Uint8Array(64 * MiB));
    expect(bomb.length).toBeLessThan(128 * KiB);
    expect(native(bomb, 64 * KiB)).toBe('error too-large');
    const lying = bomb.slice();
    lying.set([0x10, 0, 0, 0], lying.length - 4);
    expect(native(lying, 64 * KiB)).toBe('error too-large');
    expect(native(lying, 65 * MiB)).toBe(pako(lying, 65 * MiB));
    const small = decompress(CompressionType.gzip, compress(CompressionType.gzip, new Uint8Array([1, 2, 3])), 10);
    const large = decompress(CompressionType.gzip, compress(CompressionType.gzip, new Uint8Array(100 * KiB)), 100 * KiB);
    for (const out of [small, large]) {
      expect(Buffer.isBuffer(out)).toBe(false);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(out.byteLength);
    }
  });

  const misbehaving: ReadonlyArray<[string, GunzipModule]> = [
    ['returns other bytes', { gunzipSync: (data, options) => zlib.gunzipSync(data, options).reverse() }],
    ['returns the first member only', {
      gunzipSync: (data, options) => {
        // Inflates up to the end of the first member (what a gunzip without multi-member support does).
        const inflate = zlib.inflateRawSync(Buffer.from(data).subarray(10), { ...options, finishFlush: zlib.constants.Z_SYNC_FLUSH });
        return inflate;
      },
    }],
    ['accepts truncated input', { gunzipSync: (data, options) => zlib.gunzipSync(data, { ...options, finishFlush: zlib.constants.Z_SYNC_FLUSH }) }],
  ];
  for (const [what, fake] of misbehaving) {
    it(`falls back to pako when zlib ${what}`, () => {
      const result = installGzipAccelerator(fake);
      expect(result.implementation).toBe('pure-js');
      expect(result.reason).toMatch(/self-check/);
      expect(nativeDecompressor('gzip')).toBeNull();
    });
  }

  it('falls back to pako when zlib has no gunzipSync', () => {
    expect(installGzipAccelerator({} as GunzipModule)).toEqual({ implementation: 'pure-js', reason: 'zlib.gunzipSync is not available' });
    expect(nativeDecompressor('gzip')).toBeNull();
  });
});
