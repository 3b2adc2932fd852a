// Known vectors for Java's String.hashCode and Kafka's partitionFor(groupId).
import { describe, expect, it } from 'vitest';
import { consumerOffsetsPartitionFor, javaStringHashCode } from './coordinator-partition.ts';

describe('javaStringHashCode', () => {
  it('matches values Java prints for "".hashCode(), "a".hashCode(), "hello".hashCode()', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
  });
  it('wraps to negative like Java int arithmetic', () => {
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE (a famous Java example).
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // "test-group": the 31*h + c recurrence evaluated with BigInt.asIntN(32, …) (an
    // independent implementation), and the same as Java's "test-group".hashCode().
    expect(javaStringHashCode('test-group')).toBe(627841412);
  });
  it('hashes UTF-16 code units (a surrogate pair counts twice)', () => {
    const s = '\u{1F600}'; // two code units: 0xD83D 0xDE00
    expect(javaStringHashCode(s)).toBe(0xd83d * 31 + 0xde00);
  });
});

describe('consumerOffsetsPartitionFor', () => {
  it('is abs(hash) % N with Kafka Utils.abs (n & 0x7fffffff)', () => {
    // 627841412 % 50 = 12
    expect(consumerOffsetsPartitionFor('test-group', 50)).toBe(12);
    expect(consumerOffsetsPartitionFor('hello', 50)).toBe(99162322 % 50);
    // Integer.MIN_VALUE & 0x7fffffff == 0, not 2147483648 % 50.
    expect(consumerOffsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(consumerOffsetsPartitionFor('', 50)).toBe(0);
    expect(consumerOffsetsPartitionFor('test-group', 1)).toBe(0);
  });
  it('rejects a non-positive partition count', () => {
    expect(() => consumerOffsetsPartitionFor('g', 0)).toThrow(RangeError);
  });
});
