import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AssignerProtocol } from 'kafkajs';
import { DecodeError } from '@samsa/codec';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('consumer protocol subscription', () => {
  it('lays out v3 as Kafka does', () => {
    const bytes = encodeSubscription({
      topics: ['t'],
      userData: Uint8Array.of(9),
      ownedPartitions: [{ topic: 't', partitions: [1] }],
      generationId: 5,
      rackId: 'r',
    });
    expect(hex(bytes)).toBe(
      [
        '00 03', // version
        '00 00 00 01', '00 01 74', // topics ["t"]
        '00 00 00 01 09', // userData
        '00 00 00 01', '00 01 74', '00 00 00 01', '00 00 00 01', // owned t:[1]
        '00 00 00 05', // generationId
        '00 01 72', // rackId "r"
      ].join(' '),
    );
  });

  it('writes v0 byte for byte as KafkaJS does', () => {
    const ours = encodeSubscription({ topics: ['a', 'bc'], ownedPartitions: [] }, 0);
    const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['a', 'bc'], userData: null as never });
    expect(hex(ours)).toBe(hex(new Uint8Array(theirs)));
  });

  it('drops fields a version lacks and reads their defaults back', () => {
    const s = { topics: ['x'], userData: null, ownedPartitions: [{ topic: 'x', partitions: [0] }], generationId: 3, rackId: 'r' };
    expect(decodeSubscription(encodeSubscription(s, 0))).toEqual({ ...s, ownedPartitions: [], generationId: -1, rackId: null, version: 0 });
    expect(decodeSubscription(encodeSubscription(s, 1))).toEqual({ ...s, generationId: -1, rackId: null, version: 1 });
    expect(decodeSubscription(encodeSubscription(s, 2))).toEqual({ ...s, rackId: null, version: 2 });
    expect(decodeSubscription(encodeSubscription(s, 3))).toEqual({ ...s, version: 3 });
  });

  it('round-trips every version', () => {
    const tp = fc.record({ topic: fc.string({ maxLength: 5 }), partitions: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }) });
    fc.assert(
      fc.property(
        fc.record({
          topics: fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
          userData: fc.option(fc.uint8Array({ maxLength: 8 })),
          ownedPartitions: fc.array(tp, { maxLength: 3 }),
          generationId: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          rackId: fc.option(fc.string({ maxLength: 4 })),
        }),
        fc.integer({ min: 0, max: 3 }),
        (s, v) => {
          const back = decodeSubscription(encodeSubscription(s, v));
          expect(back.version).toBe(v);
          expect(back.topics).toEqual(s.topics);
          expect(back.userData).toEqual(s.userData);
          expect(back.ownedPartitions).toEqual(v >= 1 ? s.ownedPartitions : []);
          expect(back.generationId).toBe(v >= 2 ? s.generationId : -1);
          expect(back.rackId).toBe(v >= 3 ? s.rackId : null);
        },
      ),
    );
  });

  it('reads a newer version as v3 and ignores the fields it appends', () => {
    const v3 = encodeSubscription({ topics: ['t'], ownedPartitions: [], generationId: 7 });
    const v4 = new Uint8Array([...v3, 0xde, 0xad]);
    v4[1] = 4;
    expect(decodeSubscription(v4)).toMatchObject({ topics: ['t'], generationId: 7, version: 4 });
  });

  it('throws DecodeError on truncated, trailing or negative-version bytes', () => {
    const ok = encodeSubscription({ topics: ['topic'], ownedPartitions: [] });
    expect(() => decodeSubscription(ok.subarray(0, ok.length - 1))).toThrow(DecodeError);
    expect(() => decodeSubscription(new Uint8Array([...ok, 0]))).toThrow(DecodeError);
    expect(() => decodeSubscription(Uint8Array.of(0xff, 0xff))).toThrow(DecodeError);
    expect(() => decodeSubscription(new Uint8Array(0))).toThrow(DecodeError);
  });

  it('rejects a version it cannot write', () => {
    expect(() => encodeSubscription({ topics: [], ownedPartitions: [] }, 4)).toThrow(RangeError);
  });
});

describe('consumer protocol assignment', () => {
  it('writes v0 byte for byte as KafkaJS does', () => {
    const ours = encodeAssignment(new Map([['a', [0, 2]]]), null, 0);
    const theirs = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { a: [0, 2] }, userData: null as never });
    expect(hex(ours)).toBe(hex(new Uint8Array(theirs)));
  });

  it('round-trips, merges a topic listed twice, and reads empty bytes as nothing', () => {
    const bytes = encodeAssignment(new Map([['a', [1, 0]], ['b', []]]), Uint8Array.of(1, 2));
    expect(decodeAssignment(bytes)).toEqual({ partitions: new Map([['a', [1, 0]], ['b', []]]), userData: Uint8Array.of(1, 2), version: 3 });
    const twice = Uint8Array.of(0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 1, 0, 0, 0, 4, 0, 1, 0x61, 0, 0, 0, 1, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff);
    expect(decodeAssignment(twice).partitions).toEqual(new Map([['a', [4, 5]]]));
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ partitions: new Map(), userData: null, version: 0 });
    expect(() => decodeAssignment(bytes.subarray(0, 5))).toThrow(DecodeError);
  });
});
