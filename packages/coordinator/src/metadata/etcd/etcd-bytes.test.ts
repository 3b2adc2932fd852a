import { describe, expect, it } from 'vitest';
import { base64ToBytes, base64ToKey, bytesToBase64, int64, keyToBase64, prefixRange } from './etcd-bytes.ts';

describe('etcd bytes', () => {
  it('round-trips bytes through base64, large values included', () => {
    const big = new Uint8Array(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect(base64ToBytes(bytesToBase64(big))).toEqual(big);
    expect(bytesToBase64(new Uint8Array([0xff, 0, 1]))).toBe('/wAB');
    expect(base64ToBytes(undefined)).toEqual(new Uint8Array(0));
  });

  it('encodes keys as UTF-8', () => {
    expect(keyToBase64('a')).toBe('YQ==');
    expect(base64ToKey(keyToBase64('brökers/1'))).toBe('brökers/1');
  });

  it('selects a prefix with etcd’s range end', () => {
    expect(prefixRange('a/')).toEqual({ key: keyToBase64('a/'), rangeEnd: keyToBase64('a0') });
    expect(prefixRange('')).toEqual({ key: 'AA==', rangeEnd: 'AA==' });
  });

  it('reads int64 fields given as strings, absent as 0', () => {
    expect(int64('42')).toBe(42);
    expect(int64(undefined)).toBe(0);
    expect(() => int64('9223372036854775807')).toThrow(RangeError);
  });
});
