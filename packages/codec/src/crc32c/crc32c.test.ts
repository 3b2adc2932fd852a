/**
 * CRC-32C: known vectors, range handling, accelerator installation.
 */
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cPureJs, setCrc32cImplementation, crc32cImplementation } from './crc32c.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches published vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) B.4 test vectors.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = new Uint8Array(32);
    for (let i = 0; i < 32; i++) inc[i] = i;
    expect(crc32c(inc)).toBe(0x46dd794e);
    const dec = new Uint8Array(32);
    for (let i = 0; i < 32; i++) dec[i] = 31 - i;
    expect(crc32c(dec)).toBe(0x113fdb5c);
  });

  it('honours start/end and composes through initial', () => {
    const b = ascii('..123456789..');
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
    expect(crc32c(b, 6, 11, crc32c(b, 2, 6))).toBe(0xe3069283);
  });

  it('rejects ranges outside the array', () => {
    expect(() => crc32c(new Uint8Array(4), 0, 5)).toThrow(RangeError);
    expect(() => crc32c(new Uint8Array(4), 3, 2)).toThrow(RangeError);
    expect(() => crc32c(new Uint8Array(4), -1, 2)).toThrow(RangeError);
  });

  it('installs and removes an accelerator, refusing a wrong one', () => {
    let calls = 0;
    const counting = (b: Uint8Array, s: number, e: number, i: number): number => {
      calls++;
      return crc32cPureJs(b, s, e, i);
    };
    try {
      setCrc32cImplementation(counting);
      expect(crc32cImplementation()).toBe(counting);
      expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
      expect(calls).toBe(2); // the probe plus this call
      expect(() => setCrc32cImplementation(() => 0)).toThrow(/accelerator/);
      expect(crc32cImplementation()).toBe(counting);
    } finally {
      setCrc32cImplementation(null);
    }
    expect(crc32cImplementation()).toBe(crc32cPureJs);
  });
});
