// The handler table against the generated protocol metadata (issue 12): each handler's key and
// name are its codecs' (request and response agree, and match apiByKey and ApiKey), keys are
// unique, and the versions it serves lie within the specs' valid versions.
import { ApiKey, apiByKey } from '@samsa/codec';
import { describe, expect, it } from 'vitest';
import { HANDLERS } from './index.ts';

describe('handler table', () => {
  it('takes every key and name from the generated metadata', () => {
    expect(HANDLERS.length).toBeGreaterThan(0);
    for (const h of HANDLERS) {
      const api = apiByKey.get(h.apiKey);
      expect(api?.name, h.name).toBe(h.name);
      expect(h.request.meta, h.name).toMatchObject({ apiKey: h.apiKey, apiName: h.name, type: 'request' });
      expect(h.response.meta, h.name).toMatchObject({ apiKey: h.apiKey, apiName: h.name, type: 'response' });
      expect(ApiKey[h.name as keyof typeof ApiKey], h.name).toBe(h.apiKey);
      expect(h.minVersion, h.name).toBeGreaterThanOrEqual(h.request.meta.validVersions[0]);
      expect(h.maxVersion, h.name).toBeLessThanOrEqual(h.request.meta.validVersions[1]);
      expect(h.minVersion, h.name).toBeLessThanOrEqual(h.maxVersion);
    }
    expect(new Set(HANDLERS.map((h) => h.apiKey)).size).toBe(HANDLERS.length);
  });
});
