// The raw native helpers, before the host installs them into the codec: the bounded
// gunzip answers the input, throws GunzipError coded 'too-large' past the bound and
// 'decompression' on bad input, and says why when zlib lacks gunzipSync; the CRC-32C
// matches the published check value and refuses a range outside the bytes.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GunzipError, loadNativeCrc32c, loadNativeGunzip } from './index.ts';
import type { GunzipModule } from './index.ts';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof GunzipError ? error.code : `not a GunzipError: ${String(error)}`;
  }
};

describe('native accelerators (raw)', () => {
  it('gunzip: bounded output, coded errors, a plain Uint8Array', () => {
    const gunzip = loadNativeGunzip().fn!;
    const data = gzipSync(new Uint8Array(1000).fill(7));
    const out = gunzip(data, 1000);
    expect([out.constructor.name, out.length, out[999]]).toEqual(['Uint8Array', 1000, 7]);
    expect(codeOf(() => gunzip(data, 999))).toBe('too-large');
    expect(codeOf(() => gunzip(data, 0))).toBe('too-large');
    expect(codeOf(() => gunzip(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2]), 1000))).toBe('decompression');
    expect(loadNativeGunzip({} as GunzipModule)).toEqual({ fn: null, reason: 'zlib.gunzipSync is not available' });
  });

  it('crc32c: the check value of "123456789", continuation, range checks', () => {
    const crc = loadNativeCrc32c().fn!;
    const bytes = new TextEncoder().encode('123456789');
    expect(crc(bytes)).toBe(0xe3069283);
    expect(crc(bytes, 4, 9, crc(bytes, 0, 4))).toBe(0xe3069283);
    expect(() => crc(bytes, 5, 10)).toThrow(RangeError);
  });
});
