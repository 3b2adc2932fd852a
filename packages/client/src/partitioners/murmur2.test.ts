import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition, toPositive } from './murmur2.ts';

const utf8 = new TextEncoder();

describe('murmur2', () => {
  // Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils),
  // the same table other Java-compatible ports test against; "" from the Java function.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
    ['', 275646681],
  ])('hashes %j as Java does', (input, expected) => {
    expect(murmur2(utf8.encode(input))).toBe(expected);
  });

  it('covers every tail length (0-3 trailing bytes) with distinct hashes', () => {
    const hashes = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((n) => murmur2(new Uint8Array(n).fill(0xff))));
    expect(hashes.size).toBe(8);
  });

  it('treats bytes as unsigned (0x80-0xff behave as Java masks them with & 0xff)', () => {
    // Java sign-extends a byte then masks it; a port that forgot the mask would differ here.
    expect(murmur2(new Uint8Array([0xff]))).not.toBe(murmur2(new Uint8Array([0x7f])));
  });

  it('returns a signed 32-bit integer', () => {
    for (const s of ['x', 'yy', 'zzz', 'wwww', 'hello world']) {
      const h = murmur2(utf8.encode(s));
      expect(h).toBe(h | 0);
    }
  });
});

describe('toPositive', () => {
  it('masks the sign bit like Java (not abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
    expect(toPositive(-790332482)).toBe(1357151166);
  });
});

describe('murmur2Partition', () => {
  it('places keys as the Java producer does', () => {
    // toPositive(-790332482) = 1357151166; 1357151166 % 50 = 16.
    expect(murmur2Partition(utf8.encode('foobar'), 50)).toBe(16);
    expect(murmur2Partition(utf8.encode('21'), 3)).toBe(toPositive(-973932308) % 3);
    expect(murmur2Partition(utf8.encode('anything'), 1)).toBe(0);
  });

  it('rejects a partition count below 1', () => {
    expect(() => murmur2Partition(utf8.encode('k'), 0)).toThrow(RangeError);
    expect(() => murmur2Partition(utf8.encode('k'), 1.5)).toThrow(RangeError);
  });
});
