import { describe, expect, it } from 'vitest';
import { parseBootstrap } from './bootstrap.ts';

describe('parseBootstrap', () => {
  it('reads host:port and bracketed IPv6', () => {
    expect(parseBootstrap(['localhost:9092', ' 10.0.0.1:19092 ', '[::1]:9093'])).toEqual([
      { host: 'localhost', port: 9092 },
      { host: '10.0.0.1', port: 19092 },
      { host: '::1', port: 9093 },
    ]);
  });

  it('refuses an empty list, a missing or bad port', () => {
    expect(() => parseBootstrap([])).toThrow(RangeError);
    expect(() => parseBootstrap(['localhost'])).toThrow(TypeError);
    expect(() => parseBootstrap(['localhost:0'])).toThrow(RangeError);
    expect(() => parseBootstrap(['localhost:9x'])).toThrow(RangeError);
    expect(() => parseBootstrap([':9092'])).toThrow(TypeError);
  });
});
