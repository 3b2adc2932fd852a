// canOverlapRequest: Produce and OffsetCommit frames overlap, every other API (and a frame too
// short to name one) runs alone. Reads only the api key, so a body need not decode.
import { ApiKey } from '@samsa/codec';
import { describe, expect, it } from 'vitest';
import { canOverlapRequest } from './overlapping-requests.ts';

const frameWithKey = (apiKey: number): Uint8Array => {
  const f = new Uint8Array(8);
  new DataView(f.buffer).setInt16(0, apiKey);
  return f;
};

describe('canOverlapRequest', () => {
  it('lets Produce and OffsetCommit overlap and nothing else', () => {
    const overlapping = Object.entries(ApiKey)
      .filter(([, key]) => canOverlapRequest(frameWithKey(key)))
      .map(([name]) => name);
    expect(overlapping.sort()).toEqual(['OffsetCommit', 'Produce']);
  });

  it('does not let a frame too short for an api key, or an unknown or negative key, overlap', () => {
    expect(canOverlapRequest(new Uint8Array([0]))).toBe(false);
    expect(canOverlapRequest(new Uint8Array(0))).toBe(false);
    expect(canOverlapRequest(frameWithKey(0x0100))).toBe(false);
    expect(canOverlapRequest(frameWithKey(-256))).toBe(false);
    expect(canOverlapRequest(frameWithKey(ApiKey.Produce).subarray(0, 2))).toBe(true);
  });
});
