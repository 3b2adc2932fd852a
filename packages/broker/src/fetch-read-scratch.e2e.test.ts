// Fetch answers read into the broker's reusable buffers (connection/read-scratch-pool.ts,
// lent through RequestInfo.readScratch): the answer is right, a buffer is not reused while
// an answer holding views of it is unwritten (its bytes stay intact), and it is reused
// once the session calls the answer's release. Over the memory runtime, through the
// Dispatcher the broker's connections use.
import { ApiKey, CreateTopicsRequestCodec, CreateTopicsResponseCodec, decodeResponseFrame, ErrorCode, FetchRequestCodec, FetchResponseCodec, ProduceRequestCodec, ProduceResponseCodec } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { FrameOutcome } from './connection/connection-session.ts';
import { ReadScratchPool } from './connection/read-scratch-pool.ts';
import { Dispatcher } from './dispatcher.ts';
import { handlerTableFor } from './handlers/index.ts';
import { encodeRequest } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker, type TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

function bytesOf(outcome: FrameOutcome): Uint8Array {
  const r = outcome.response!;
  if (r instanceof Uint8Array) return r.slice(4);
  const all = new Uint8Array(r.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of r) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all.subarray(4);
}

describe('Fetch into reusable read buffers', () => {
  it('answers from a lent buffer, keeps it while the answer is unwritten, reuses it after release', async () => {
    tb = await startTestBroker();
    const c = await tb.connect();
    expect((await c.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('t', 2), CreateTopicsResponseCodec)).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    for (let i = 0; i < 4; i++) {
      for (const p of [0, 1]) {
        const res = await c.request(0, 9, ProduceRequestCodec, produceBody('t', p, batchOf([`p${p}-${i}`])), ProduceResponseCodec);
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      }
    }
    const dispatcher = new Dispatcher(tb.broker.context, new Map(handlerTableFor(false).map((h) => [h.apiKey, h])));
    const pool = new ReadScratchPool({ keepMax: 2, bufferBytesMax: 1024 * 1024 });
    const fetch = async (offset: number): Promise<FrameOutcome> => {
      const body = fetchBody('t', 0, offset);
      const both = { ...body, topics: [{ ...body.topics[0]!, partitions: [body.topics[0]!.partitions[0]!, { ...body.topics[0]!.partitions[0]!, partition: 1 }] }] };
      return dispatcher.handle(encodeRequest(ApiKey.Fetch, 11, 1, 'test', FetchRequestCodec, both).subarray(4), 'test:1', pool);
    };
    const valuesIn = (o: FrameOutcome): string[] =>
      decodeResponseFrame(bytesOf(o), ApiKey.Fetch, 11, FetchResponseCodec).body.responses[0]!.partitions.flatMap((p) => valuesOf(p.records).map((r) => r.value));

    const first = await fetch(0);
    expect(valuesIn(first)).toEqual(['p0-0', 'p0-1', 'p0-2', 'p0-3', 'p1-0', 'p1-1', 'p1-2', 'p1-3']);
    expect(typeof first.release).toBe('function');
    expect(pool.allocated).toBe(1);
    const firstBytes = bytesOf(first).slice();
    // Not released (not yet written): the next fetch gets another buffer, and the first
    // answer's bytes are untouched by it.
    const second = await fetch(2);
    expect(valuesIn(second)).toEqual(['p0-2', 'p0-3', 'p1-2', 'p1-3']);
    expect(pool.allocated).toBe(2);
    expect(bytesOf(first)).toEqual(firstBytes);
    // Written: both buffers go back and are reused.
    first.release!();
    second.release!();
    const third = await fetch(1);
    expect(valuesIn(third)).toEqual(['p0-1', 'p0-2', 'p0-3', 'p1-1', 'p1-2', 'p1-3']);
    expect(pool.allocated).toBe(2);
    expect(pool.freeCount).toBe(1);
  });
});
