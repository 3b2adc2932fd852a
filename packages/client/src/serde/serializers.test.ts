import { describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from './serializers.ts';

describe('serdes', () => {
  it('round-trips UTF-8 strings and JSON', () => {
    expect(stringSerde.deserialize(stringSerde.serialize('héllo ✓'))).toBe('héllo ✓');
    expect([...stringSerde.serialize('é')]).toEqual([0xc3, 0xa9]);
    const json = jsonSerde<{ a: number[] }>();
    expect(json.deserialize(json.serialize({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });

  it('refuses bad bytes and values that are not JSON', () => {
    expect(() => stringSerde.deserialize(new Uint8Array([0xff]))).toThrow(TypeError);
    expect(() => jsonSerde().serialize(undefined)).toThrow(TypeError);
  });
});
