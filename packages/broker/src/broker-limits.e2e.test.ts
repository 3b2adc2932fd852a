/**
 * The broker-wide request memory bound (queued.max.request.bytes), max.connections.per.ip
 * and the idle eviction at max.connections, end to end on the memory runtime.
 *
 * Invariants checked: the bytes of request frames reserved by all connections together
 * never exceed queued.max.request.bytes (sampled on every macrotask and as the pool's
 * peak), except a single frame larger than the pool, served alone; connections that had
 * to wait are resumed and answered; every reservation is given back (after the response,
 * or when a connection dies mid-frame); clients that stall holding pool bytes (responses
 * unread, a frame trickled) are closed while others wait, so the waiters are answered.
 */
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, FetchRequestCodec, FetchResponseCodec, ProduceRequestCodec, ProduceResponseCodec } from '@samsa/codec';
import type { ProduceRequest } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from './observability/logger.ts';
import { noopMetrics } from './observability/metrics.ts';
import type { Metrics } from './observability/metrics.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody } from './testing/requests.ts';
import { encodeRequest, KafkaTestClient } from './testing/kafka-test-client.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const KiB = 1024;
const POOL_BYTES = 1536 * KiB;
const WRITE_BYTES = 16 * KiB;

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

const macrotask = () => new Promise((r) => setTimeout(r, 0));

async function start(extra: string[] = [], observe: { metrics?: Metrics; logger?: Logger } = {}): Promise<TestBroker> {
  tb = await startTestBroker({
    overrides: [`queued.max.request.bytes=${POOL_BYTES}`, 'socket.request.max.bytes=4194304', 'message.max.bytes=4194304', ...extra],
    ...observe,
  });
  const admin = await tb.connect();
  const res = await admin.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('t', 1), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  return tb;
}

/**
 * Writes a Produce of one `valueBytes` record in socket-sized pieces; resolves with its
 * error code. `headFirst` is awaited between the first piece (prefix included) and the
 * rest, so several connections can announce their frames before any is complete.
 */
async function produceInPieces(client: KafkaTestClient, correlationId: number, valueBytes: number, headFirst?: Promise<unknown>): Promise<number> {
  const body: ProduceRequest = produceBody('t', 0, batchOf(['v'.repeat(valueBytes)]));
  const frame = encodeRequest(0, 9, correlationId, 'big', ProduceRequestCodec, body);
  client.writeRaw(frame.subarray(0, WRITE_BYTES));
  await headFirst;
  for (let at = WRITE_BYTES; at < frame.length; at += WRITE_BYTES) client.writeRaw(frame.subarray(at, at + WRITE_BYTES));
  const res = await client.receive({ apiKey: 0, apiVersion: 9, correlationId }, ProduceResponseCodec);
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/** Samples the pool's reserved bytes on every macrotask until `done` settles; returns the largest sample and whether anyone waited. */
async function sampleWhile(broker: TestBroker, done: Promise<unknown>): Promise<{ maxBytes: number; sawWaiters: boolean }> {
  let settled = false;
  void done.finally(() => (settled = true)).catch(() => {});
  let maxBytes = 0;
  let sawWaiters = false;
  for (let i = 0; i < 200_000 && !settled; i++) {
    maxBytes = Math.max(maxBytes, broker.broker.requestMemory.reservedBytes);
    sawWaiters ||= broker.broker.requestMemory.waiterCount > 0;
    await macrotask();
  }
  expect(settled).toBe(true);
  return { maxBytes, sawWaiters };
}

/** Records rejection reasons and the warnings logged. */
function observer() {
  const rejected: string[] = [];
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => void warnings.push({ obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    error: () => {},
    child: () => logger,
  };
  return { rejected, warnings, observe: { logger, metrics: { ...noopMetrics, connectionRejected: (r: string) => void rejected.push(r) } } };
}

const produceFrame = (correlationId: number, valueBytes: number) =>
  encodeRequest(0, 9, correlationId, 'p', ProduceRequestCodec, produceBody('t', 0, batchOf(['v'.repeat(valueBytes)])));

/**
 * Lets the memory transport deliver and the broker react: macrotasks until `until()`
 * (bounded). Without a condition, 50 macrotasks: what must not happen would have by then
 * (a delivery takes one).
 */
const settle = async (until?: () => boolean) => {
  for (let i = 0; i < (until ? 5000 : 50) && !until?.(); i++) await macrotask();
};

/** A frame's 4-byte length prefix announcing `n` bytes. */
const prefix = (n: number) => {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setInt32(0, n);
  return p;
};

describe('queued.max.request.bytes', () => {
  it('never holds more frame bytes than the pool; paused connections resume, are answered, and release', async () => {
    const b = await start();
    const clients = await Promise.all(Array.from({ length: 6 }, (_, i) => b.connect(`c${i}`)));
    // Six 600 KiB frames against a 1.5 MiB pool: at most two are read at a time.
    const announced = (async () => {
      for (let i = 0; i < 5000 && b.broker.requestMemory.waiterCount < 4; i++) await macrotask();
    })();
    const results = Promise.all(clients.map((c, i) => produceInPieces(c, 100 + i, 600 * KiB, announced)));
    const { maxBytes, sawWaiters } = await sampleWhile(b, results);
    expect(await results).toEqual([0, 0, 0, 0, 0, 0]);
    expect(sawWaiters).toBe(true);
    expect(maxBytes).toBeLessThanOrEqual(POOL_BYTES);
    expect(b.broker.requestMemory.peakReservedBytes).toBeLessThanOrEqual(POOL_BYTES);
    expect(b.broker.requestMemory.peakReservedBytes).toBeGreaterThan(600 * KiB);
    expect(b.broker.requestMemory.reservedBytes).toBe(0);
    expect(b.broker.registry.partition('t', 0)!.log.logEndOffset).toBe(6);
  });

  it('serves a single frame larger than the pool (within socket.request.max.bytes) on its own', async () => {
    const b = await start();
    const [small, big, late] = await Promise.all([b.connect('small'), b.connect('big'), b.connect('late')]);
    const results = Promise.all([produceInPieces(small, 1, 900 * KiB), produceInPieces(big, 2, 3 * 1024 * KiB), produceInPieces(late, 3, 900 * KiB)]);
    await sampleWhile(b, results);
    expect(await results).toEqual([0, 0, 0]);
    // The oversized frame was granted only with nothing else reserved.
    expect(b.broker.requestMemory.peakReservedBytes).toBeLessThan(3 * 1024 * KiB + 200 * KiB);
    expect(b.broker.requestMemory.reservedBytes).toBe(0);
  });

  it('gives back the reservation of a frame whose connection dies half-way, and the next frame gets it', async () => {
    const b = await start();
    const dying = await b.connect('dying');
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 1400 * KiB);
    dying.writeRaw(prefix);
    dying.writeRaw(new Uint8Array(100));
    for (let i = 0; i < 5000 && b.broker.requestMemory.reservedBytes === 0; i++) await macrotask();
    expect(b.broker.requestMemory.reservedBytes).toBe(1400 * KiB);
    const waiting = await b.connect('waiting');
    const answered = produceInPieces(waiting, 7, 600 * KiB);
    for (let i = 0; i < 5000 && b.broker.requestMemory.waiterCount === 0; i++) await macrotask();
    expect(b.broker.requestMemory.waiterCount).toBe(1);
    dying.connection.destroy();
    expect(await answered).toBe(0);
    for (let i = 0; i < 5000 && b.broker.requestMemory.reservedBytes > 0; i++) await macrotask();
    expect(b.broker.requestMemory.reservedBytes).toBe(0);
  });
});

describe('max.connections.per.ip', () => {
  it('closes a new connection from an address at its limit at once, and counts it', async () => {
    const rejected: string[] = [];
    tb = await startTestBroker({
      overrides: ['max.connections.per.ip=2'],
      metrics: { ...noopMetrics, connectionRejected: (r) => void rejected.push(r) },
    });
    const connectFrom = async (localAddress: string) =>
      new KafkaTestClient(await tb!.transport.connect({ host: '127.0.0.1', port: tb!.port, localAddress }));
    const first = await connectFrom('127.0.0.1');
    await connectFrom('127.0.0.1');
    const third = await connectFrom('127.0.0.1');
    for (let i = 0; i < 5000 && !third.isClosed; i++) await macrotask();
    expect(third.isClosed).toBe(true);
    expect(rejected).toEqual(['max-connections-per-ip']);
    // Another address is not affected.
    const other = await connectFrom('10.0.0.2');
    await macrotask();
    expect(other.isClosed).toBe(false);
    expect(tb.broker.connectionCount).toBe(3);
    // A slot freed on 127.0.0.1 can be used again.
    await first.close();
    for (let i = 0; i < 5000 && tb.broker.connectionCount > 2; i++) await macrotask();
    const again = await connectFrom('127.0.0.1');
    await macrotask();
    expect(again.isClosed).toBe(false);
    expect(tb.broker.connectionCount).toBe(3);
  });

  it('has finite defaults for max.connections, max.connections.per.ip and queued.max.request.bytes', async () => {
    tb = await startTestBroker();
    expect(tb.broker.config.maxConnections).toBe(10_000);
    expect(tb.broker.config.values.get('max.connections.per.ip')).toBe(2_500);
    expect(tb.broker.requestMemory.capacityBytes).toBe(512 * 1024 * 1024);
  });
});

describe('max.connections', () => {
  it('admits a new connection by closing the one idle the longest (≥ 5 s), never one with a request in the handler', async () => {
    const rejected: string[] = [];
    tb = await startTestBroker({
      overrides: ['max.connections=3'],
      metrics: { ...noopMetrics, connectionRejected: (r) => void rejected.push(r) },
    });
    const admin = await tb.connect('admin');
    expect((await admin.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('t', 1), CreateTopicsResponseCodec)).topics[0]?.errorCode).toBe(ErrorCode.NONE);
    tb.clock.advance(1_000);
    const idle = await tb.connect('idle');
    const polling = await tb.connect('poller');
    polling.send(1, 12, FetchRequestCodec, fetchBody('t', 0, 0, { maxWaitMs: 60_000, minBytes: 1 }));
    await tb.untilParked('t', 0);
    // At the limit, nobody idle for 5 s yet: the newcomer is refused.
    const early = await tb.connect('early');
    for (let i = 0; i < 5000 && !early.isClosed; i++) await macrotask();
    expect(early.isClosed).toBe(true);
    expect(rejected).toEqual(['max-connections']);
    // 5 s later: admin (idle since its CreateTopics) goes first, then idle; the parked poll stays.
    tb.clock.advance(5_000);
    const late = await tb.connect('late');
    for (let i = 0; i < 5000 && !admin.isClosed; i++) await macrotask();
    expect(admin.isClosed).toBe(true);
    expect(late.isClosed).toBe(false);
    const later = await tb.connect('later');
    for (let i = 0; i < 5000 && !idle.isClosed; i++) await macrotask();
    expect(idle.isClosed).toBe(true);
    const last = await tb.connect('last');
    for (let i = 0; i < 5000 && !last.isClosed; i++) await macrotask();
    expect(last.isClosed).toBe(true);
    expect(polling.isClosed).toBe(false);
    expect(later.isClosed).toBe(false);
    expect(rejected).toEqual(['max-connections', 'evicted-idle', 'evicted-idle', 'max-connections']);
  });
});

describe('max.connections and request memory', () => {
  it('does not evict a connection that waits for request memory', async () => {
    const { rejected, observe } = observer();
    const b = await start(['max.connections=4'], observe);
    // The holder parks a long poll and pipelines a complete frame holding most of the pool
    // behind it: busy, and not a stalled client either (pool pressure leaves it alone).
    const holder = await b.connect('holder');
    holder.send(1, 12, FetchRequestCodec, fetchBody('t', 0, 0, { maxWaitMs: 60_000, minBytes: 1 }));
    await b.untilParked('t', 0);
    holder.writeRaw(produceFrame(2, 1400 * KiB));
    await settle(() => b.broker.requestMemory.reservedBytes > 1400 * KiB);
    const waiter = await b.connect('waiter');
    waiter.writeRaw(prefix(600 * KiB));
    await settle(() => b.broker.requestMemory.waiterCount === 1);
    expect(b.broker.requestMemory.waiterCount).toBe(1);
    // A second later another client connects (and could not send a request now: it would
    // wait behind the waiter); the waiter is the more silent of the two.
    b.clock.advance(1_000);
    const quiet = await b.connect('quiet');
    b.clock.advance(10_000);
    // admin (from start, the idlest) goes first, then quiet (idle, not waiting), though the
    // waiter has been silent longer: it is not idle, it waits for the broker.
    const first = await b.connect('new-0');
    await settle(() => rejected.length === 1);
    const second = await b.connect('new-1');
    await settle(() => quiet.isClosed);
    expect(quiet.isClosed).toBe(true);
    const third = await b.connect('new-2');
    await settle(() => third.isClosed);
    expect(rejected).toEqual(['evicted-idle', 'evicted-idle', 'max-connections']);
    expect([waiter.isClosed, holder.isClosed, first.isClosed, second.isClosed]).toEqual([false, false, false, false]);
    expect(b.broker.requestMemory.waiterCount).toBe(1);
  });
});

describe('after a burst of hostile connections', () => {
  it('holds no connection, reservation or socket once they are gone', async () => {
    const b = await start();
    const kinds = [
      prefix(0x7fffffff), // too large
      prefix(-1), // negative
      new Uint8Array([...prefix(10), 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0]), // unknown API key
      new Uint8Array([...prefix(1000 * KiB), 1, 2, 3]), // a frame begun, then the peer vanishes
      new Uint8Array(0), // connects, sends nothing, vanishes
    ];
    const clients: KafkaTestClient[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await b.connect(`hostile-${i}`);
      c.writeRaw(kinds[i % kinds.length]!);
      clients.push(c);
    }
    for (const c of clients) c.connection.destroy();
    for (let i = 0; i < 5000 && (b.broker.connectionCount > 1 || b.transport.openConnections() > 2); i++) await macrotask();
    expect(b.broker.connectionCount).toBe(1); // the admin connection of start()
    expect(b.transport.openConnections()).toBe(2); // its two ends
    expect(b.broker.requestMemory.reservedBytes).toBe(0);
    expect(b.broker.requestMemory.waiterCount).toBe(0);
  });
});

describe('request memory pinned by stalled clients', () => {
  it('closes connections whose responses go unread, largest holder first, once stalled 5 s, and answers the waiter', async () => {
    const { rejected, warnings, observe } = observer();
    const b = await start([], observe);
    const producer = await b.connect('producer');
    expect(await produceInPieces(producer, 1, 1000 * KiB)).toBe(0);
    // Each Fetch of offset 0 answers ~1 MiB: 17 of them are over the 16 MiB a session sends unread.
    const fetches = 17;
    const pin = async (name: string, frame: Uint8Array) => {
      const c = await b.connect(name);
      c.connection.pause(); // never reads
      for (let i = 0; i < fetches; i++) c.send(1, 12, FetchRequestCodec, fetchBody('t', 0, 0));
      c.writeRaw(frame); // queued behind the unread responses: its reservation stays
      return c;
    };
    const bigFrame = produceFrame(1, 900 * KiB);
    const smallFrame = produceFrame(1, 500 * KiB);
    const pinnedBytes = bigFrame.length - 4 + smallFrame.length - 4;
    const big = await pin('big', bigFrame);
    const small = await pin('small', smallFrame);
    // A client that reads the same responses, and a long poll in the handler: not stalled.
    const reader = await b.connect('reader');
    for (let i = 0; i < fetches; i++) {
      const res = await reader.request(1, 12, FetchRequestCodec, fetchBody('t', 0, 0), FetchResponseCodec);
      expect(res.responses[0]!.partitions[0]!.records?.length).toBeGreaterThan(1000 * KiB);
    }
    const poller = await b.connect('poller');
    const pollBody = fetchBody('t', 0, 1, { maxWaitMs: 60_000, minBytes: 1 });
    const pollBytes = encodeRequest(1, 12, 1, 'poller', FetchRequestCodec, pollBody).length - 4;
    const poll = poller.send(1, 12, FetchRequestCodec, pollBody);
    await b.untilParked('t', 0);
    // Held: the two pinned frames and the parked poll's own frame (in the handler).
    await settle(() => b.broker.requestMemory.reservedBytes === pinnedBytes + pollBytes);
    expect(b.broker.requestMemory.reservedBytes).toBe(pinnedBytes + pollBytes);
    // The pool is pinned: an honest 600 KiB request waits.
    const honest = await b.connect('honest');
    const answered = produceInPieces(honest, 9, 600 * KiB);
    let done = false;
    void answered.finally(() => (done = true)).catch(() => {});
    await settle(() => b.broker.requestMemory.waiterCount === 1);
    expect(b.broker.requestMemory.waiterCount).toBe(1);
    b.clock.advance(4_000);
    await settle();
    expect(done).toBe(false);
    expect([big.isClosed, small.isClosed]).toEqual([false, false]);
    expect(rejected).toEqual([]);
    // Past 5 s of unread responses: the largest holder goes, which is enough for the waiter.
    b.clock.advance(1_500);
    await settle(() => done);
    expect(done).toBe(true);
    expect(await answered).toBe(0);
    await settle(() => big.isClosed);
    expect(big.isClosed).toBe(true);
    expect(small.isClosed).toBe(false);
    expect(rejected).toEqual(['unread-responses']);
    const line = warnings.find((w) => w.obj['reason'] === 'unread-responses');
    expect(line?.msg).toMatch(/read under 64 KiB of its responses in 5 s/);
    expect(line?.obj['reservedBytes']).toBe(bigFrame.length - 4);
    // Clients that read, or wait in a long poll, are untouched.
    expect([reader.isClosed, poller.isClosed, producer.isClosed]).toEqual([false, false, false]);
    expect(await producer.request(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(['x'])), ProduceResponseCodec)).toBeDefined();
    const polled = await poller.receive(poll, FetchResponseCodec);
    expect(polled.responses[0]!.partitions[0]!.errorCode).toBe(0);
    // Nobody waits any more: the remaining pinning connection is left alone.
    b.clock.advance(10_000);
    await settle();
    expect(small.isClosed).toBe(false);
    expect(rejected).toEqual(['unread-responses']);
  });

  it('closes a connection that trickles an announced frame (under 64 KiB in 5 s) while others wait, not one that sends steadily', async () => {
    const { rejected, warnings, observe } = observer();
    const b = await start([], observe);
    const trickler = await b.connect('trickler');
    trickler.writeRaw(prefix(1000 * KiB));
    trickler.writeRaw(new Uint8Array(100));
    await settle(() => b.broker.requestMemory.reservedBytes === 1000 * KiB);
    const steady = await b.connect('steady');
    const steadyFrame = produceFrame(5, 400 * KiB);
    steady.writeRaw(steadyFrame.subarray(0, 4 + 16 * KiB));
    await settle(() => b.broker.requestMemory.reservedBytes === 1000 * KiB + steadyFrame.length - 4);
    const honest = await b.connect('honest');
    const answered = produceInPieces(honest, 9, 600 * KiB);
    let done = false;
    void answered.finally(() => (done = true)).catch(() => {});
    await settle(() => b.broker.requestMemory.waiterCount === 1);
    expect(b.broker.requestMemory.waiterCount).toBe(1);
    // Each second: one byte from the trickler, 64 KiB from the steady sender.
    let at = 4 + 16 * KiB;
    for (let s = 1; s <= 4; s++) {
      b.clock.advance(1_000);
      trickler.writeRaw(new Uint8Array(1));
      steady.writeRaw(steadyFrame.subarray(at, at + 64 * KiB));
      at += 64 * KiB;
      await settle();
    }
    expect(done).toBe(false);
    expect(trickler.isClosed).toBe(false);
    b.clock.advance(1_000);
    await settle(() => done);
    expect(done).toBe(true);
    expect(await answered).toBe(0);
    await settle(() => trickler.isClosed);
    expect(trickler.isClosed).toBe(true);
    expect(steady.isClosed).toBe(false);
    expect(rejected).toEqual(['stalled-request']);
    expect(warnings.find((w) => w.obj['reason'] === 'stalled-request')?.msg).toMatch(/stopped sending a request frame/);
    // The steady sender finishes and is answered.
    steady.writeRaw(steadyFrame.subarray(at));
    const res = await steady.receive({ apiKey: 0, apiVersion: 9, correlationId: 5 }, ProduceResponseCodec);
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });
});
