// Assign-only consumer against the in-process test broker (memory runtime, ManualClock):
// fetch from offset, seek (offset, beginning, end, time), pause/resume, offset reset
// (earliest, latest, none), backpressure on the buffered bytes, and KIP-320 truncation
// detection after a leader epoch change (a diverging epoch answered by Fetch v12+).
import { createRandom } from '@samsa/runtime';
import { ErrorCode, FetchRequestCodec, MetadataRequestCodec, MetadataResponseCodec, ZERO_UUID } from '@samsa/codec/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { drive, macrotask } from '../../test/support/drive.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaAbortError, KafkaError, KafkaStateError } from '../errors.ts';
import { Producer } from '../producer/producer.ts';
import { stringSerde } from '../serde/serializers.ts';
import { Consumer } from './consumer.ts';
import { CONSUMER_API_VERSIONS } from './consumer-api-versions.ts';
import { LogTruncationError } from './consumer-errors.ts';
import type { ConsumerOptions } from './consumer-options.ts';
import type { ConsumerRecord } from './consumer-record.ts';

const s = stringSerde.serialize;
const text = (r: ConsumerRecord): string => stringSerde.deserialize(r.value!);
let tb: TestBroker | undefined;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await drive(tb!.clock, close()).catch(() => {});
  await tb?.stop();
  tb = undefined;
});

async function setUp(overrides: string[] = []): Promise<{ tb: TestBroker; producer: Producer }> {
  tb = await startTestBroker({ overrides: ['num.partitions=2', ...overrides] });
  const producer = new Producer({ transport: tb.transport, clock: tb.clock, random: createRandom(1), bootstrap: [`127.0.0.1:${tb.port}`], lingerMs: 0 });
  closers.push(() => producer.close());
  return { tb, producer };
}

function consumer(options: Partial<ConsumerOptions> = {}): Consumer {
  const c = new Consumer({ transport: tb!.transport, clock: tb!.clock, bootstrap: [`127.0.0.1:${tb!.port}`], fetchMaxWaitMs: 50, ...options });
  closers.unshift(() => c.close());
  return c;
}

async function produce(producer: Producer, topic: string, partition: number, values: string[]): Promise<void> {
  await drive(tb!.clock, producer.send({ topic, messages: values.map((v) => ({ value: s(v), partition, key: s(`k-${v}`) })) }));
}

/** Reads batches until `count` records arrived (driving the clock). */
async function read(c: Consumer, count: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  while (out.length < count) out.push(...(await drive(tb!.clock, c.next())).records);
  return out;
}

const values = (from: number, to: number, prefix = 'v'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('Consumer in assign-only mode', () => {
  it('reads from the given offset, in order, with keys, timestamps, epochs and lag', async () => {
    const { producer } = await setUp();
    await produce(producer, 't', 0, values(0, 10));
    const c = consumer();
    c.assign([{ topic: 't', partition: 0, offset: 3n }]);
    const records = await read(c, 7);
    expect(records.map(text)).toEqual(values(3, 10));
    expect(records.map((r) => r.offset)).toEqual([3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(records.every((r) => r.topic === 't' && r.partition === 0 && r.leaderEpoch === 0 && r.timestamp > 0)).toBe(true);
    expect(stringSerde.deserialize(records[0]!.key!)).toBe('k-v3');
    expect(c.position({ topic: 't', partition: 0 })).toBe(10n);
    await produce(producer, 't', 0, values(10, 12));
    const later = await read(c, 2);
    expect(later.map(text)).toEqual(values(10, 12));
  });

  it('seeks by offset, to the beginning, to the end and by timestamp', async () => {
    const { tb, producer } = await setUp();
    await produce(producer, 't', 0, values(0, 5));
    tb.clock.advance(60_000);
    const midMs = tb.clock.wallMs();
    await produce(producer, 't', 0, values(5, 10));
    const c = consumer();
    c.assign([{ topic: 't', partition: 0, offset: 0n }]);
    expect((await read(c, 10)).map(text)).toEqual(values(0, 10));
    c.seek({ topic: 't', partition: 0, offset: 7n });
    expect((await read(c, 3)).map(text)).toEqual(values(7, 10));
    c.seekToBeginning();
    expect((await read(c, 10))[0]!.offset).toBe(0n);
    c.seekToTimestamp([{ topic: 't', partition: 0 }], midMs);
    expect((await read(c, 5)).map(text)).toEqual(values(5, 10));
    c.seekToEnd();
    await drive(tb.clock, (async () => { for (let i = 0; i < 20; i++) await macrotask(); })());
    await produce(producer, 't', 0, ['after-end']);
    expect((await read(c, 1)).map(text)).toEqual(['after-end']);
  });

  it('pause stops a partition while others go on; resume picks up where it stopped', async () => {
    const { producer } = await setUp();
    await produce(producer, 't', 0, values(0, 3, 'a'));
    await produce(producer, 't', 1, values(0, 3, 'b'));
    const c = consumer();
    c.assign([{ topic: 't', partition: 0, offset: 0n }, { topic: 't', partition: 1, offset: 0n }]);
    c.pause([{ topic: 't', partition: 0 }]);
    expect(c.paused()).toEqual([{ topic: 't', partition: 0 }]);
    const first = await read(c, 3);
    expect(first.map(text)).toEqual(values(0, 3, 'b'));
    await produce(producer, 't', 1, ['b3']);
    expect((await read(c, 1)).map(text)).toEqual(['b3']);
    c.resume([{ topic: 't', partition: 0 }]);
    expect((await read(c, 3)).map(text)).toEqual(values(0, 3, 'a'));
  });

  it('auto offset reset: earliest, latest, an out-of-range seek, and none', async () => {
    const { tb, producer } = await setUp();
    await produce(producer, 't', 0, values(0, 4));
    const earliest = consumer({ autoOffsetReset: 'earliest' });
    earliest.assign([{ topic: 't', partition: 0 }]);
    expect((await read(earliest, 4)).map(text)).toEqual(values(0, 4));
    earliest.seek({ topic: 't', partition: 0, offset: 100n });
    expect((await read(earliest, 4)).map(text)).toEqual(values(0, 4)); // out of range → earliest

    const latest = consumer({ autoOffsetReset: 'latest' });
    latest.assign([{ topic: 't', partition: 0 }]);
    await drive(tb.clock, (async () => { for (let i = 0; i < 20; i++) await macrotask(); })());
    expect(latest.position({ topic: 't', partition: 0 })).toBe(4n);
    await produce(producer, 't', 0, ['new']);
    expect((await read(latest, 1)).map(text)).toEqual(['new']);

    const none = consumer({ autoOffsetReset: 'none' });
    none.assign([{ topic: 't', partition: 0, offset: 50n }]);
    const error = await drive(tb.clock, none.next()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    none.seek({ topic: 't', partition: 0, offset: 1n });
    expect((await read(none, 4)).map(text)).toEqual([...values(1, 4), 'new']); // a seek clears the error
  });

  it('backpressure: fetching stops while the undelivered bytes reach bufferedBytesMax', async () => {
    const { tb, producer } = await setUp();
    for (let p = 0; p < 2; p++) for (let i = 0; i < 5; i++) await produce(producer, 't', p, [`p${p}-${i}-${'x'.repeat(200)}`]);
    const c = consumer({ bufferedBytesMax: 100, maxPartitionFetchBytes: 100 });
    c.assign([{ topic: 't', partition: 0, offset: 0n }, { topic: 't', partition: 1, offset: 0n }]);
    await drive(tb.clock, (async () => { for (let i = 0; i < 50; i++) await macrotask(); })());
    const held = c.bufferedBytes;
    expect(held).toBeGreaterThan(0);
    // One answer per broker at most beyond the bound; with one broker, one batch per partition.
    expect(held).toBeLessThan(2 * 400);
    for (let i = 0; i < 30; i++) await macrotask();
    expect(c.bufferedBytes).toBe(held); // nothing more came while nobody took
    const all = await read(c, 10);
    expect(all.length).toBe(10);
  });

  it('iterates with for await and run({ eachBatch }), and the iterator ends on close', async () => {
    const { tb, producer } = await setUp();
    await produce(producer, 't', 0, values(0, 3));
    const c = consumer();
    c.assign([{ topic: 't', partition: 0, offset: 0n }]);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const batch of c) {
        seen.push(...batch.records.map(text));
        if (seen.length >= 3) break;
      }
    })();
    await drive(tb.clock, loop);
    expect(seen).toEqual(values(0, 3));
    await produce(producer, 't', 0, values(3, 6));
    const ac = new AbortController();
    const run = c.run({ signal: ac.signal, eachBatch: (batch) => {
      seen.push(...batch.records.map(text));
      if (seen.length >= 6) ac.abort();
    } });
    await drive(tb.clock, run);
    expect(seen).toEqual(values(0, 6));
    await drive(tb.clock, c.close());
    const after = await drive(tb.clock, c[Symbol.asyncIterator]().next());
    expect(after.done).toBe(true);
  });

  it('KIP-320: a log truncated under a new leader epoch moves the position back (or fails with none)', async () => {
    const { tb, producer } = await setUp();
    for (const v of values(0, 10)) await produce(producer, 't', 0, [v]); // one batch each: truncation cuts at batch bounds
    const reset = consumer({ autoOffsetReset: 'earliest' });
    const strict = consumer({ autoOffsetReset: 'none' });
    for (const c of [reset, strict]) {
      c.assign([{ topic: 't', partition: 0, offset: 0n }]);
      expect((await read(c, 10)).length).toBe(10);
    }
    // A new leader whose history ends epoch 0 at offset 6, then writes under epoch 1.
    const p = tb.broker.registry.partition('t', 0)!;
    expect(await p.truncateTo(6)).toBe(true);
    p.leaderEpoch = 1;
    await produce(producer, 't', 0, ['n6', 'n7']);
    const again = await read(reset, 2);
    expect(again.map((r) => [r.offset, text(r), r.leaderEpoch])).toEqual([[6n, 'n6', 1], [7n, 'n7', 1]]);
    const error = await drive(tb.clock, strict.next()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogTruncationError);
    expect((error as LogTruncationError).divergentOffsets).toEqual([{ topic: 't', partition: 0, offset: 6n, leaderEpoch: 0 }]);
  });

  it('KIP-320 with batches fetched ahead: a divergence above the delivered position drops only those, and reading goes on from the position', async () => {
    const { tb, producer } = await setUp();
    for (const v of values(0, 10)) await produce(producer, 't', 0, [v]); // one batch each
    // About one batch per answer, so the fetcher runs ahead of what is taken, batch by batch.
    const c = consumer({ autoOffsetReset: 'none', maxPartitionFetchBytes: 100 });
    c.assign([{ topic: 't', partition: 0, offset: 0n }]);
    expect((await read(c, 4)).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n]);
    const idle = (): Promise<void> => drive(tb.clock, (async () => { for (let i = 0; i < 60; i++) await macrotask(); })());
    await idle();
    expect(c.bufferedBytes).toBeGreaterThan(300); // offsets 4-9 fetched ahead, not taken
    // A new leader whose epoch 0 ends at 6; the buffered 6-9 are gone from the log.
    const p = tb.broker.registry.partition('t', 0)!;
    expect(await p.truncateTo(6)).toBe(true);
    p.leaderEpoch = 1;
    await produce(producer, 't', 0, ['n6', 'n7']);
    await idle(); // the next Fetch (from 10, last fetched epoch 0) is answered "epoch 0 ends at 6"
    const rest = await read(c, 4);
    // No LogTruncationError: nothing the application saw was lost (6 ≥ position 4).
    expect(rest.map((r) => [r.offset, text(r)])).toEqual([[4n, 'v4'], [5n, 'v5'], [6n, 'n6'], [7n, 'n7']]);
    expect(c.position({ topic: 't', partition: 0 })).toBe(8n);
  });

  it('KIP-320: a newer leader epoch in the metadata sends the position through OffsetForLeaderEpoch (Fetch v11: no diverging epoch)', async () => {
    const { tb, producer } = await setUp();
    for (const v of values(0, 10)) await produce(producer, 't', 0, [v]);
    const versions = new Map(CONSUMER_API_VERSIONS);
    versions.set(FetchRequestCodec.meta.apiKey, { minVersion: 4, maxVersion: 11 });
    const c = consumer({ autoOffsetReset: 'earliest', connection: { clientApiVersions: versions } });
    const tp = { topic: 't', partition: 0 };
    c.assign([{ ...tp, offset: 0n }]);
    expect((await read(c, 10)).length).toBe(10);
    c.pause([tp]);
    await drive(tb.clock, (async () => { for (let i = 0; i < 30; i++) await macrotask(); })());
    const p = tb.broker.registry.partition('t', 0)!;
    expect(await p.truncateTo(6)).toBe(true);
    p.leaderEpoch = 1;
    await produce(producer, 't', 0, ['n6', 'n7']);
    // A single broker always reports epoch 0 in Metadata; show the consumer the new epoch a
    // cluster's Metadata would carry (the cache keeps the highest epoch it saw).
    const client = await tb.connect();
    const metadata = await client.request(MetadataRequestCodec.meta.apiKey, 12, MetadataRequestCodec, { topics: [{ topicId: ZERO_UUID, name: 't' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
    await client.close();
    const bumped = { ...metadata, topics: metadata.topics.map((t) => ({ ...t, partitions: t.partitions.map((x) => ({ ...x, leaderEpoch: 1 })) })) };
    c.cluster.metadata.update(bumped, tb.clock.monotonicMs());
    c.resume([tp]);
    const again = await read(c, 2);
    expect(again.map((r) => [r.offset, text(r)])).toEqual([[6n, 'n6'], [7n, 'n7']]);
  });

  it('next() honours an AbortSignal; calls after close() throw KafkaStateError', async () => {
    await setUp();
    const c = consumer();
    c.assign([{ topic: 't', partition: 0, offset: 0n }]);
    const ac = new AbortController();
    const waiting = c.next({ signal: ac.signal });
    await macrotask();
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(KafkaAbortError);
    await drive(tb!.clock, c.close());
    await expect(c.next()).rejects.toBeInstanceOf(KafkaStateError);
    expect(() => c.seek({ topic: 't', partition: 0, offset: 0n })).toThrow(KafkaStateError);
  });
});
