import { describe, expect, it } from 'vitest';
import { JsonLineSplitter, JsonLineTooLongError } from './json-lines.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('JsonLineSplitter', () => {
  it('joins lines split across chunks and skips blank lines', () => {
    const s = new JsonLineSplitter(1000);
    expect(s.push(bytes('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(s.push(bytes(':2}\n\n{"c":3'))).toEqual(['{"b":2}']);
    expect(s.end()).toEqual(['{"c":3']);
  });

  it('keeps a multi-byte character split between chunks intact', () => {
    const s = new JsonLineSplitter(1000);
    const all = bytes('{"k":"é"}\n');
    expect(s.push(all.subarray(0, 7))).toEqual([]);
    expect(s.push(all.subarray(7))).toEqual(['{"k":"é"}']);
  });

  it('throws past the line bound instead of buffering more', () => {
    const s = new JsonLineSplitter(8);
    expect(() => s.push(bytes('0123456789'))).toThrow(JsonLineTooLongError);
    const t = new JsonLineSplitter(8);
    expect(() => t.push(bytes('0123456789\n'))).toThrow(JsonLineTooLongError);
  });
});
