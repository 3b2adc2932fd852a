// Reader/Writer primitives: exact encodings, sticky errors, bounds checked before allocation.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { Reader } from './reader.ts';
import { Writer, sizeUvarint, sizeVarint, sizeVarlong, sizeString } from './writer.ts';
import { ZERO_UUID, uuidToString, isUuid } from './uuid.ts';
import { EncodeError } from './encode-error.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('Reader', () => {
  it('reads big-endian fixed-width integers', () => {
    const r = new Reader(bytes(0xff, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfe));
    expect(r.int8()).toBe(-1);
    expect(r.int16()).toBe(-32768);
    expect(r.int32()).toBe(1);
    expect(r.uint16()).toBe(0xffff);
    expect(r.int16()).toBe(-2);
    expect(r.complete()).toBeNull();
  });

  it('is sticky: after a short read every read returns a default and complete() reports the first failure', () => {
    const r = new Reader(bytes(0, 1, 2), 'Test', 3);
    expect(r.int16()).toBe(1);
    expect(r.int32()).toBe(0);
    expect(r.failed).toBe(true);
    expect(r.int8()).toBe(0);
    expect(r.string(false)).toBe('');
    expect(r.bytes(true).length).toBe(0);
    const err = r.complete();
    expect(err).toBeInstanceOf(DecodeError);
    expect(err?.reason).toBe('truncated');
    expect(err?.api).toBe('Test');
    expect(err?.version).toBe(3);
    expect(err?.message).toContain('at byte 2');
  });

  it('builds the field path from bail() calls made while unwinding', () => {
    const r = new Reader(bytes());
    r.int32();
    r.bail('records');
    r.at(2);
    r.bail('partitions');
    r.at(0);
    r.bail('topics');
    expect(r.error?.path).toBe('topics[0].partitions[2].records');
  });

  it('reports trailing bytes', () => {
    const r = new Reader(bytes(1, 2, 3));
    r.int16();
    expect(r.complete()?.reason).toBe('trailing-bytes');
  });

  it('reads int64 as a safe integer and rejects values beyond it', () => {
    const w = new Writer(24);
    w.int64(-1);
    w.int64(Number.MAX_SAFE_INTEGER);
    w.int64BigInt(2n ** 60n);
    const r = new Reader(w.finish());
    expect(r.int64()).toBe(-1);
    expect(r.int64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.int64()).toBe(0);
    expect(r.error?.reason).toBe('bad-value');
  });

  it('checks a declared length against the bytes left before allocating', () => {
    // int32 count 2^31-1 in a 10-byte input: fails at once, no allocation of the elements
    const r = new Reader(bytes(0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0));
    expect(r.arrayLength(false, false, 4)).toBe(-1);
    expect(r.error?.reason).toBe('bad-length');
    const r2 = new Reader(bytes(0x7f, 0xff, 0xff, 0xff, 1, 2));
    expect(r2.bytes(false).length).toBe(0);
    expect(r2.error?.reason).toBe('bad-length');
    const r3 = new Reader(bytes(0xff, 0xff, 0xff, 0xff));
    expect(r3.nullableBytes(false)).toBeNull();
    expect(r3.failed).toBe(false);
    const r4 = new Reader(bytes(0xff, 0xff, 0xff, 0xff));
    r4.bytes(false);
    expect(r4.error?.reason).toBe('bad-length');
  });

  it('returns bytes as zero-copy views', () => {
    const input = bytes(0, 0, 0, 2, 7, 8);
    const v = new Reader(input).bytes(false);
    expect(v.buffer).toBe(input.buffer);
    expect([...v]).toEqual([7, 8]);
  });

  it('rejects invalid UTF-8 and over-long varints', () => {
    const r = new Reader(bytes(0, 2, 0xc3, 0x28));
    r.string(false);
    expect(r.error?.reason).toBe('bad-value');
    const r2 = new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
    r2.uvarint();
    expect(r2.error?.reason).toBe('bad-varint');
  });
});

describe('Writer', () => {
  it('varints round-trip at their boundaries with matching sizes', () => {
    const uv = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 32 - 1];
    const sv = [0, -1, 1, -64, 63, -65, 2 ** 31 - 1, -(2 ** 31)];
    const lv = [0, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const size = uv.reduce((a, v) => a + sizeUvarint(v), 0) + sv.reduce((a, v) => a + sizeVarint(v), 0) + lv.reduce((a, v) => a + sizeVarlong(v), 0);
    const w = new Writer(size);
    for (const v of uv) w.uvarint(v);
    for (const v of sv) w.varint(v);
    for (const v of lv) w.varlong(v);
    const r = new Reader(w.finish());
    expect(uv.map(() => r.uvarint())).toEqual(uv);
    expect(sv.map(() => r.varint())).toEqual(sv);
    expect(lv.map(() => r.varlong())).toEqual(lv);
    expect(r.complete()).toBeNull();
  });

  it('encodes strings as int16 or compact lengths, UTF-8', () => {
    const s = 'topic-é😀';
    const w = new Writer(sizeString(false, s) + sizeString(true, s));
    w.string(false, s);
    w.string(true, s);
    const buf = w.finish();
    expect(buf[1]).toBe(12);
    const r = new Reader(buf);
    expect(r.string(false)).toBe(s);
    expect(r.string(true)).toBe(s);
    expect(r.complete()).toBeNull();
  });

  it('rejects a non-compact string longer than 32767 bytes', () => {
    expect(() => sizeString(false, 'x'.repeat(40000))).toThrow(EncodeError);
    expect(sizeString(true, 'x'.repeat(40000))).toBe(40003);
  });

  it('refuses to write an unsafe int64 and detects a size mismatch', () => {
    expect(() => new Writer(8).int64(2 ** 60)).toThrow(RangeError);
    const w = new Writer(4);
    w.int16(1);
    expect(() => w.finish()).toThrow();
  });
});

describe('uuid', () => {
  it('uses Kafka base64url text and round-trips 16 bytes', () => {
    const b = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const s = uuidToString(b, 0);
    expect(s).toHaveLength(22);
    expect(isUuid(s)).toBe(true);
    const w = new Writer(16);
    w.uuid(s);
    expect([...w.finish()]).toEqual([...b]);
    expect(uuidToString(new Uint8Array(16), 0)).toBe(ZERO_UUID);
    expect(isUuid('AAAAAAAAAAAAAAAAAAAAAB')).toBe(false);
    expect(isUuid('not-a-uuid')).toBe(false);
  });
});
