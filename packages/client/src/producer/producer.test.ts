import { createRandom } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { drive, macrotask } from '../../test/support/drive.ts';
import { FaultyTransport } from '../../test/support/faulty-transport.ts';
import { readBack } from '../../test/support/read-back.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaAbortError, KafkaStateError, KafkaTimeoutError } from '../errors.ts';
import { murmur2Partition } from '../partitioners/index.ts';
import { stringSerde } from '../serde/serializers.ts';
import { estimateRecordBytes } from './producer-batch.ts';
import { Producer } from './producer.ts';
import type { ProducerOptions } from './producer-options.ts';

const s = stringSerde.serialize;
let tb: TestBroker | undefined;
const producers: Producer[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await drive(tb!.clock, p.close()).catch(() => {});
  await tb?.stop();
  tb = undefined;
});

async function setUp(overrides: string[] = [], options: Partial<ProducerOptions> = {}): Promise<{ tb: TestBroker; producer: Producer }> {
  tb = await startTestBroker({ overrides });
  const producer = new Producer({ transport: tb.transport, clock: tb.clock, random: createRandom(7), bootstrap: [`127.0.0.1:${tb.port}`], lingerMs: 0, ...options });
  producers.push(producer);
  return { tb, producer };
}

const values = (n: number, prefix = 'v'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('Producer against the test broker', () => {
  for (const acks of [1, -1] as const) {
    it(`acks=${acks}: resolves offsets in order and the log holds the records`, async () => {
      const { tb, producer } = await setUp([], { acks, idempotent: acks === -1 });
      const sent = await drive(tb.clock, producer.send({ topic: 't', messages: values(5).map((v) => ({ value: s(v), partition: 0 })) }));
      expect(sent.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
      expect(sent.every((m) => m.topic === 't' && m.partition === 0)).toBe(true);
      const more = await drive(tb.clock, producer.send({ topic: 't', messages: [{ value: s('v5'), partition: 0 }] }));
      expect(more[0]!.offset).toBe(5);
      expect((await readBack(tb, 't', 0)).map((r) => r.value)).toEqual(values(6));
      if (acks === -1) expect(producer.identity.producerId).toBeGreaterThanOrEqual(0);
    });
  }

  it('sends sharing batches and spanning several get every offset, in order, and the buffer is given back', async () => {
    const { tb, producer } = await setUp(['num.partitions=2'], { lingerMs: 20, batchSizeBytes: 200 });
    const a = producer.send({ topic: 's', messages: values(7, 'a').map((v) => ({ value: s(v), partition: 0 })) });
    const b = producer.send({ topic: 's', messages: values(5, 'b').map((v) => ({ value: s(v), partition: 0 })) });
    const c = producer.send({ topic: 's', messages: [{ value: s('c0'), partition: 1 }, { value: s('c1'), partition: 0 }, { value: s('c2'), partition: 1 }] });
    const [sa, sb, sc] = await drive(tb.clock, Promise.all([a, b, c]), { stepMs: 5 });
    expect(sa.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sb.map((m) => m.offset)).toEqual([7, 8, 9, 10, 11]);
    expect(sc.map((m) => [m.partition, m.offset])).toEqual([[1, 0], [0, 12], [1, 1]]);
    expect((await readBack(tb, 's', 0)).map((r) => r.value)).toEqual([...values(7, 'a'), ...values(5, 'b'), 'c1']);
    expect(producer.bufferedBytes).toBe(0);
  });

  it('a send refused half-way (a partition out of range) gives its unused buffer memory back', async () => {
    const { tb, producer } = await setUp([], { lingerMs: 60_000 });
    const refused = producer.send({ topic: 'r', messages: [{ value: s('ok'), partition: 0 }, { value: s('no'), partition: 7 }] }).catch((e: unknown) => e);
    expect(await drive(tb.clock, refused)).toBeInstanceOf(RangeError);
    expect(producer.bufferedBytes).toBe(estimateRecordBytes({ value: s('ok') }));
    await drive(tb.clock, producer.flush(), { stepMs: 1 });
    expect(producer.bufferedBytes).toBe(0);
    expect((await readBack(tb, 'r', 0)).map((r) => r.value)).toEqual(['ok']);
  });

  it('a timestamp that is not a safe integer is refused before anything is appended', async () => {
    const { tb, producer } = await setUp();
    const refused = producer.send({ topic: 'ts', messages: [{ value: s('x'), partition: 0 }, { value: s('y'), partition: 0, timestamp: 1.5 }] }).catch((e: unknown) => e);
    expect(await drive(tb.clock, refused)).toBeInstanceOf(RangeError);
    expect(producer.bufferedBytes).toBe(0);
  });

  it('acks=0: resolves with offset -1 and the records land', async () => {
    const { tb, producer } = await setUp([], { acks: 0 });
    const sent = await drive(tb.clock, producer.send({ topic: 't', messages: values(3).map((v) => ({ value: s(v), partition: 0 })) }));
    expect(sent.map((m) => m.offset)).toEqual([-1, -1, -1]);
    await drive(tb.clock, producer.send({ topic: 't', messages: [{ value: s('v3'), partition: 0 }] }));
    for (let i = 0; i < 5; i++) await macrotask();
    expect((await readBack(tb, 't', 0)).map((r) => r.value)).toEqual(values(4));
  });

  it('keyed records land in the murmur2 partition, keyless ones of one batch in one partition', async () => {
    const { tb, producer } = await setUp(['num.partitions=4'], { lingerMs: 50 });
    const keys = values(20, 'key-');
    const sent = await drive(tb.clock, producer.send({ topic: 'k', messages: keys.map((k) => ({ key: s(k), value: s(k) })) }));
    sent.forEach((m, i) => expect(m.partition).toBe(murmur2Partition(s(keys[i]!), 4)));
    const keyless = await drive(tb.clock, producer.send({ topic: 'k', messages: values(10).map((v) => ({ value: s(v) })) }));
    expect(new Set(keyless.map((m) => m.partition)).size).toBe(1);
  });

  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`compression ${compression}: the broker stores what was sent`, async () => {
      const { tb, producer } = await setUp([], { compression, lingerMs: 20 });
      const v = values(50, `${compression}-`);
      await drive(tb.clock, producer.send({ topic: 'c', messages: v.map((x) => ({ value: s(x.repeat(5)), partition: 0 })) }));
      expect((await readBack(tb, 'c', 0)).map((r) => r.value)).toEqual(v.map((x) => x.repeat(5)));
    });
  }

  it('idempotence: a Produce answer lost after the append is retried and deduplicated', async () => {
    tb = await startTestBroker();
    const transport = new FaultyTransport(tb.transport);
    const producer = new Producer({ transport, clock: tb.clock, random: createRandom(1), bootstrap: [`127.0.0.1:${tb.port}`], lingerMs: 0 });
    producers.push(producer);
    await drive(tb.clock, producer.send({ topic: 'i', messages: [{ value: s('first'), partition: 0 }] }));
    const identity = producer.identity;
    transport.loseNextProduceResponses(2);
    const sent = await drive(tb.clock, producer.send({ topic: 'i', messages: values(4).map((v) => ({ value: s(v), partition: 0 })) }));
    expect(transport.responsesLost).toBe(2);
    expect(transport.produceRequestsSeen).toBeGreaterThanOrEqual(4);
    expect(sent.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
    expect((await readBack(tb, 'i', 0)).map((r) => r.value)).toEqual(['first', ...values(4)]);
    expect(producer.identity).toEqual(identity);
  });

  it('without idempotence the same lost answer duplicates (the test can fail)', async () => {
    tb = await startTestBroker();
    const transport = new FaultyTransport(tb.transport);
    const producer = new Producer({ transport, clock: tb.clock, random: createRandom(1), bootstrap: [`127.0.0.1:${tb.port}`], lingerMs: 0, acks: 1 });
    producers.push(producer);
    transport.loseNextProduceResponses(1);
    await drive(tb.clock, producer.send({ topic: 'd', messages: [{ value: s('once'), partition: 0 }] }));
    expect((await readBack(tb, 'd', 0)).map((r) => r.value)).toEqual(['once', 'once']);
  });

  it('backpressure: send() awaits buffer room, flush() frees it; maxBlockMs bounds the wait', async () => {
    const { tb, producer } = await setUp([], { lingerMs: 60_000, bufferMemoryBytes: 1000, maxBlockMs: 5_000 });
    const big = (tag: string) => ({ value: s(tag.padEnd(300, '.')), partition: 0 });
    const first = producer.send({ topic: 'b', messages: [big('a'), big('b'), big('c')] });
    let firstDone = false;
    void first.then(() => (firstDone = true));
    for (let i = 0; i < 10; i++) await macrotask();
    expect(firstDone).toBe(false);
    expect(producer.bufferedBytes).toBeLessThanOrEqual(1000);
    expect(producer.bufferedBytes).toBeGreaterThan(600);
    await drive(tb.clock, producer.flush(), { stepMs: 1 });
    const sent = await drive(tb.clock, first, { stepMs: 1 });
    expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect((await readBack(tb, 'b', 0))).toHaveLength(3);

    // Fill the buffer again, then one more record cannot get room within maxBlockMs.
    void producer.send({ topic: 'b', messages: [big('d'), big('e'), big('f')] }).catch(() => {});
    for (let i = 0; i < 10; i++) await macrotask();
    const startMs = tb.clock.monotonicMs();
    const blocked = producer.send({ topic: 'b', messages: [big('x')] }).catch((e: unknown) => e);
    const error = await drive(tb.clock, blocked, { stepMs: 100 });
    expect(error).toBeInstanceOf(KafkaTimeoutError);
    expect(tb.clock.monotonicMs() - startMs).toBeGreaterThanOrEqual(5_000);
  });

  it('deliveryTimeoutMs fails records that could not be sent in time', async () => {
    const { tb, producer } = await setUp([], { lingerMs: 60_000, deliveryTimeoutMs: 1_000 });
    const pending = producer.send({ topic: 'e', messages: [{ value: s('late'), partition: 0 }] }).catch((e: unknown) => e);
    const error = await drive(tb.clock, pending, { stepMs: 50 });
    expect(error).toBeInstanceOf(KafkaTimeoutError);
    expect(tb.clock.monotonicMs()).toBeGreaterThanOrEqual(1_000);
    expect(producer.bufferedBytes).toBe(0);
    expect(await readBack(tb, 'e', 0)).toEqual([]);
  });

  it('abort: an aborted signal rejects the send; a send waiting for room stops waiting', async () => {
    const { tb, producer } = await setUp([], { lingerMs: 60_000, bufferMemoryBytes: 500 });
    const done = new AbortController();
    done.abort();
    await expect(producer.send({ topic: 'a', messages: [{ value: s('x') }] }, { signal: done.signal })).rejects.toBeInstanceOf(KafkaAbortError);
    void producer.send({ topic: 'a', messages: [{ value: s('x'.repeat(400)), partition: 0 }] }).catch(() => {});
    for (let i = 0; i < 10; i++) await macrotask();
    const controller = new AbortController();
    const waiting = producer.send({ topic: 'a', messages: [{ value: s('y'.repeat(400)), partition: 0 }] }, { signal: controller.signal }).catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) await macrotask();
    controller.abort();
    expect(await waiting).toBeInstanceOf(KafkaAbortError);
    void tb;
  });

  it('close() delivers what is buffered, then refuses sends', async () => {
    const { tb, producer } = await setUp([], { lingerMs: 60_000 });
    const pending = producer.send({ topic: 'z', messages: values(3).map((v) => ({ value: s(v), partition: 0 })) });
    for (let i = 0; i < 10; i++) await macrotask();
    await drive(tb.clock, producer.close(), { stepMs: 1 });
    expect((await pending).map((m) => m.offset)).toEqual([0, 1, 2]);
    await expect(producer.send({ topic: 'z', messages: [{ value: s('no') }] })).rejects.toBeInstanceOf(KafkaStateError);
  });
});
