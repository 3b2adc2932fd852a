// The generated ApiKey constants against the registry and the codecs' metadata: one name per
// key, the same name everywhere, and the request and response codecs of a key agree.
import { describe, expect, it } from 'vitest';
import { ApiKey } from './generated/api-keys.ts';
import { ProduceRequestCodec } from './generated/produce-request.ts';
import { RequestHeaderCodec } from './generated/request-header.ts';
import { apiByKey } from './generated/registry.ts';

describe('ApiKey', () => {
  it('names every api of the registry, by the same name its codecs carry', () => {
    const entries = Object.entries(ApiKey);
    expect(entries.length).toBe(apiByKey.size);
    const seen = entries.map(([name, key]) => {
      const api = apiByKey.get(key)!;
      return [name, api.name, api.request.meta.apiKey, api.request.meta.apiName, api.response.meta.apiKey, api.response.meta.apiName];
    });
    expect(seen).toEqual(entries.map(([name, key]) => [name, name, key, name, key, name]));
  });

  it('gives the well-known keys their Kafka numbers, and headers no api', () => {
    expect([ApiKey.Produce, ApiKey.Fetch, ApiKey.ControlledShutdown, ApiKey.OffsetCommit, ApiKey.ApiVersions, ApiKey.DescribeProducers]).toEqual([0, 1, 7, 8, 18, 61]);
    const produceKey: 0 = ProduceRequestCodec.meta.apiKey; // literal-typed metadata
    expect(produceKey).toBe(ApiKey.Produce);
    expect(RequestHeaderCodec.meta).toMatchObject({ apiKey: -1, apiName: null });
  });
});
