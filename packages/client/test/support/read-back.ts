/** Reads a partition back through a raw Fetch (the broker's test client), values as UTF-8 strings. */
import { ApiKey, FetchRequestCodec, FetchResponseCodec } from '@samsa/codec/wire';
import { fetchBody, valuesOf } from '../../../broker/src/testing/requests.ts';
import type { TestBroker } from './test-broker.ts';

export async function readBack(tb: TestBroker, topic: string, partition: number): Promise<{ offset: number; value: string }[]> {
  const client = await tb.connect();
  try {
    const response = await client.request(ApiKey.Fetch, 12, FetchRequestCodec, fetchBody(topic, partition, 0), FetchResponseCodec);
    const p = response.responses[0]?.partitions[0];
    if (p === undefined || p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}: error ${p?.errorCode}`);
    return valuesOf(p.records);
  } finally {
    await client.close();
  }
}
