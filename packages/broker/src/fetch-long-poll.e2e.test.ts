// Fetch long polls park on the log's own waiters (Log.waitForData on the high watermark),
// the broker's one long-poll mechanism. Invariants checked:
//   - a poll past the log's waiter bound (waitersMax, 10,000) is answered at once with what
//     the partition has, never left silent until max_wait_ms (before: the partition's own
//     waiter set silently did not register it, and it waited out max_wait_ms);
//   - the polls that did park are all woken by the next append, with the record;
//   - a poll over several partitions woken by one of them leaves no waiter on the others.
import { ErrorCode, FetchRequestCodec, FetchResponseCodec } from '@samsa/codec';
import type { FetchRequest, FetchResponse } from '@samsa/codec';
import { DEFAULT_LOG_CONFIG } from '@samsa/log';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHandler } from './handlers/fetch.ts';
import { batchOf, fetchBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

const INFO = { apiVersion: 12, correlationId: 0, clientId: null, peer: 'test' };
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Runs the Fetch handler as the dispatcher does, without a connection per poll. */
function fetchDirect(b: TestBroker, body: FetchRequest): Promise<FetchResponse> {
  return Promise.resolve(fetchHandler.handle(b.broker.context, body, INFO) as Promise<FetchResponse>);
}

describe('Fetch long poll on the log', () => {
  it('answers a poll past the waiter bound at once; the parked ones wake on the next append', async () => {
    tb = await startTestBroker();
    expect((await tb.broker.registry.createTopic('lp', 1, {})).errorCode).toBe(ErrorCode.NONE);
    const bound = DEFAULT_LOG_CONFIG.waitersMax;
    const body = fetchBody('lp', 0, 0, { maxWaitMs: 30_000, minBytes: 1 });
    const parked = Array.from({ length: bound }, () => fetchDirect(tb!, body));
    await tb.untilParked('lp', 0, bound);

    let answered = false;
    const extra = fetchDirect(tb, body).then((r) => {
      answered = true;
      return r;
    });
    // Bounded: the ManualClock never moves, so only an immediate answer gets here.
    for (let i = 0; i < 2000 && !answered; i++) await macrotask();
    expect(answered).toBe(true);
    const res = (await extra).responses[0]!.partitions[0]!;
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.records?.byteLength).toBe(0);

    const outcome = await tb.broker.registry.partition('lp', 0)!.produce(batchOf(['wake']));
    expect(outcome.errorCode).toBe(ErrorCode.NONE);
    const woken = await Promise.all(parked);
    expect(woken.every((r) => valuesOf(r.responses[0]!.partitions[0]!.records).length === 1)).toBe(true);
    expect(tb.broker.registry.partition('lp', 0)!.waiterCount).toBe(0);
  });

  it('a poll over two partitions woken by one leaves no waiter parked on the other', async () => {
    tb = await startTestBroker();
    expect((await tb.broker.registry.createTopic('two', 2, {})).errorCode).toBe(ErrorCode.NONE);
    const body = fetchBody('two', 0, 0, { maxWaitMs: 30_000, minBytes: 1 });
    const both = { ...body, topics: [{ ...body.topics[0]!, partitions: [0, 1].map((p) => ({ ...body.topics[0]!.partitions[0]!, partition: p })) }] };
    const poll = fetchDirect(tb, both);
    await tb.untilParked('two', 1);
    await tb.untilParked('two', 0);
    expect((await tb.broker.registry.partition('two', 1)!.produce(batchOf(['one']))).errorCode).toBe(ErrorCode.NONE);
    const res = await poll;
    expect(res.responses[0]!.partitions.map((p) => valuesOf(p.records).length)).toEqual([0, 1]);
    expect(tb.broker.registry.partition('two', 0)!.waiterCount).toBe(0);
    expect(tb.broker.registry.partition('two', 1)!.waiterCount).toBe(0);
  });

  it('shutdown answers a parked poll (on its connection) before the logs close', async () => {
    tb = await startTestBroker();
    expect((await tb.broker.registry.createTopic('sd', 1, {})).errorCode).toBe(ErrorCode.NONE);
    const client = await tb.connect();
    const sent = client.send(1, 12, FetchRequestCodec, fetchBody('sd', 0, 0, { maxWaitMs: 30_000, minBytes: 1 }));
    await tb.untilParked('sd', 0);
    const stopped = tb.stop();
    tb = null;
    const res = await client.receive(sent, FetchResponseCodec);
    await stopped;
    expect(res.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});
