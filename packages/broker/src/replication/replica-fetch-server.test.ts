// The replica-fetch server and ReplicaFetcherConnection on the memory runtime (one
// MemoryTransport, a ManualClock for every timeout and backoff). Checked: the round trip
// with record batches byte-identical and not copied by the server; the Hello refusing
// another cluster or protocol version; the bounds (frame size refused from its prefix,
// in-flight requests per connection with reading paused, connections, the handshake
// timeout); malformed frames and protocol violations closing the connection with a log
// line; a follower that does not read stalling only itself; shutdown ending long polls.
import { concatChunks, ErrorCode } from '@samsa/codec';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFetchRequest, encodeHelloRequest, encodeHelloResponse, type ReplicaFetchResponse } from './replica-fetch-messages.ts';
import { ReplicaFetchServer, type ReplicaFetchServerOptions } from './replica-fetch-server.ts';
import { ReplicaFetcherConnection, type ReplicaFetcherConnectionOptions } from './replica-fetcher-connection.ts';
import { batchBytes, captureLogger, sameBytes, fetchRequestOf, RawPeer, RecordingTransport, ScriptedHandler, turns, until } from './testing/replica-fetch-fixtures.ts';

const CLUSTER = 'cluster-a';
const LEADER = 1;
const FOLLOWER = 2;

interface Setup {
  readonly memory: MemoryTransport;
  readonly transport: RecordingTransport;
  readonly clock: ManualClock;
  readonly handler: ScriptedHandler;
  readonly log: ReturnType<typeof captureLogger>;
  readonly server: ReplicaFetchServer;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(o: Partial<ReplicaFetchServerOptions> = {}, memoryOptions: ConstructorParameters<typeof MemoryTransport>[0] = {}): Promise<Setup> {
  const memory = new MemoryTransport(memoryOptions);
  const transport = new RecordingTransport(memory);
  const clock = new ManualClock();
  const handler = new ScriptedHandler();
  const log = captureLogger();
  const server = await ReplicaFetchServer.start({ transport, clock, logger: log, clusterId: CLUSTER, brokerId: LEADER, host: '127.0.0.1', port: 0, handler: handler.handler, ...o });
  cleanups.push(async () => {
    // Handlers the test left waiting answer on abort, so close() never hangs.
    for (const call of handler.calls) call.fail(new Error('test over'));
    await server.close();
  });
  return { memory, transport, clock, handler, log, server };
}

function fetcher(s: Setup, o: Partial<ReplicaFetcherConnectionOptions> = {}): ReplicaFetcherConnection {
  const f = new ReplicaFetcherConnection({
    transport: s.transport,
    clock: s.clock,
    clusterId: CLUSTER,
    brokerId: FOLLOWER,
    leader: { brokerId: LEADER, host: '127.0.0.1', port: s.server.port },
    socketTimeoutMs: 30_000,
    backoffMs: 1000,
    responseFrameBytesMax: 16 * 1024 * 1024,
    ...o,
  });
  cleanups.push(() => f.close());
  return f;
}

/** A raw peer past a successful Hello. */
async function helloPeer(s: Setup, brokerId = FOLLOWER): Promise<RawPeer> {
  const peer = await RawPeer.open(s.transport, s.server.port);
  cleanups.push(async () => peer.connection.destroy());
  await peer.send(encodeHelloRequest(1, { protocolVersion: 1, clusterId: CLUSTER, brokerId }));
  await until(() => peer.frames.length === 1, 'the Hello response');
  expect((peer.frames[0]!.body as { errorCode: number }).errorCode).toBe(ErrorCode.NONE);
  peer.frames.length = 0;
  return peer;
}

const warned = (s: Setup, pattern: RegExp): boolean => s.log.lines.some((l) => l.level === 'warn' && pattern.test(l.msg));

describe('ReplicaFetchServer and ReplicaFetcherConnection', () => {
  it('round-trips a fetch; the batches arrive identical and the server hands the handler’s arrays to the transport uncopied', async () => {
    const s = await setup();
    const records = [batchBytes(1 << 20, 1), batchBytes(0, 2), batchBytes(4096, 3)];
    s.handler.auto = (request) => ({
      errorCode: ErrorCode.NONE,
      partitions: records.map((r, i) => ({ topic: 't', partition: i, errorCode: 0, highWatermark: 100 + i, logStartOffset: i, divergingEpoch: i === 2 ? { epoch: 3, endOffset: 42 } : null, records: r })),
      ...(request.replicaId === FOLLOWER ? {} : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }),
    });
    const f = fetcher(s);
    const response = await f.fetch(fetchRequestOf(FOLLOWER, 500));
    expect(response.errorCode).toBe(ErrorCode.NONE);
    expect(response.partitions.map((p) => [p.partition, p.highWatermark, p.logStartOffset, p.divergingEpoch])).toEqual([
      [0, 100, 0, null],
      [1, 101, 1, null],
      [2, 102, 2, { epoch: 3, endOffset: 42 }],
    ]);
    // (A byte loop: vitest's deep equality takes seconds over 1 MiB.)
    expect(response.partitions.map((p, i) => sameBytes(p.records, records[i]!))).toEqual([true, true, true]);
    // The handler saw the request as sent (maxWaitMs passed through).
    // Server side: the connection accepted by the listener wrote the handler's own arrays.
    const serverSide = s.transport.records[0]!;
    for (const r of records.filter((x) => x.length > 0)) expect(serverSide.written.some((chunk) => chunk === r)).toBe(true);
    // Client side: the records are views of one received frame buffer, not copies each.
    const buffers = new Set(response.partitions.filter((p) => p.records.length > 0).map((p) => p.records.buffer));
    expect(buffers.size).toBe(1);
    expect(f.connectCount).toBe(1);
    // A second fetch reuses the connection.
    await f.fetch(fetchRequestOf(FOLLOWER));
    expect(f.connectCount).toBe(1);
  });

  it('passes maxWaitMs to the handler and keeps one fetch outstanding per connection', async () => {
    const s = await setup();
    const f = fetcher(s);
    const first = f.fetch(fetchRequestOf(FOLLOWER, 1234));
    await until(() => s.handler.calls.length === 1, 'the handler call');
    expect(s.handler.calls[0]!.request).toEqual(fetchRequestOf(FOLLOWER, 1234));
    await expect(f.fetch(fetchRequestOf(FOLLOWER))).rejects.toMatchObject({ code: 'busy' });
    s.handler.calls[0]!.answer({ errorCode: ErrorCode.NONE, partitions: [] });
    await expect(first).resolves.toEqual({ errorCode: ErrorCode.NONE, partitions: [] });
  });

  it('refuses a peer of another cluster in the Hello and closes its connection', async () => {
    const s = await setup();
    const f = fetcher(s, { clusterId: 'cluster-b' });
    await expect(f.fetch(fetchRequestOf(FOLLOWER))).rejects.toMatchObject({ code: 'handshake-refused', errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID });
    expect(warned(s, /refusing the peer: broker 1 belongs to cluster cluster-a, not cluster-b/)).toBe(true);
    await until(() => s.server.connectionCount === 0, 'the server dropping the connection');
    expect(s.handler.calls).toHaveLength(0);
  });

  it('refuses another protocol version in the Hello', async () => {
    const s = await setup();
    const peer = await RawPeer.open(s.transport, s.server.port);
    await peer.send(encodeHelloRequest(9, { protocolVersion: 2, clusterId: CLUSTER, brokerId: FOLLOWER }));
    await until(() => peer.closed, 'the server closing');
    expect(peer.frames).toHaveLength(1);
    expect(peer.frames[0]!.requestId).toBe(9);
    expect(peer.frames[0]!.body).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION });
  });

  it('refuses an oversized frame from its length prefix, before any payload is sent', async () => {
    const s = await setup({ requestFrameBytesMax: 1000 });
    const peer = await helloPeer(s);
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, 1001);
    await peer.send(prefix);
    await until(() => peer.closed, 'the server closing');
    expect(warned(s, /malformed frame: .*too-large/)).toBe(true);
    expect(s.handler.calls).toHaveLength(0);
  });

  it('closes the connection on malformed frames and protocol violations, with a log line, without calling the handler', async () => {
    const s = await setup();
    const cases: [string, (peer: RawPeer) => Promise<void>, RegExp, boolean][] = [
      ['garbage payload', (p) => p.send(new Uint8Array([0, 0, 0, 3, 9, 9, 9])), /malformed frame/, false],
      ['a response frame as a request', (p) => p.send(encodeHelloResponse(1, { protocolVersion: 1, clusterId: CLUSTER, brokerId: FOLLOWER, errorCode: 0, message: '' })), /malformed request: .*expected a request frame/, false],
      ['fetch before Hello', (p) => p.send(encodeFetchRequest(2, fetchRequestOf(FOLLOWER))), /a fetch before the Hello/, false],
      ['another replicaId', (p) => p.send(encodeFetchRequest(2, fetchRequestOf(FOLLOWER + 1))), /replicaId 3 on the connection of broker 2/, true],
      ['a second Hello', (p) => p.send(encodeHelloRequest(2, { protocolVersion: 1, clusterId: CLUSTER, brokerId: FOLLOWER })), /a second Hello/, true],
    ];
    for (const [what, send, pattern, afterHello] of cases) {
      const peer = afterHello ? await helloPeer(s) : await RawPeer.open(s.transport, s.server.port);
      await send(peer);
      await until(() => peer.closed, `the server closing on ${what}`);
      expect({ what, warned: warned(s, pattern) }).toEqual({ what, warned: true });
    }
    expect(s.handler.calls).toHaveLength(0);
    await until(() => s.server.connectionCount === 0, 'every connection gone');
  });

  it('closes a connection that sends no Hello within the handshake timeout', async () => {
    const s = await setup({ handshakeTimeoutMs: 5000 });
    const peer = await RawPeer.open(s.transport, s.server.port);
    await until(() => s.server.connectionCount === 1, 'the connection accepted');
    s.clock.advance(4999);
    await turns(5);
    expect(peer.closed).toBe(false);
    s.clock.advance(1);
    await until(() => peer.closed, 'the server closing');
    expect(warned(s, /no Hello within the handshake timeout/)).toBe(true);
  });

  it('refuses connections beyond connectionsMax and keeps the others', async () => {
    const s = await setup({ connectionsMax: 2 });
    const a = await helloPeer(s);
    const b = await helloPeer(s);
    const c = await RawPeer.open(s.transport, s.server.port);
    await until(() => c.closed, 'the third connection refused');
    expect(warned(s, /refusing a connection: 2 connections open/)).toBe(true);
    expect(a.closed || b.closed).toBe(false);
    // A slot frees up when one goes.
    a.connection.destroy();
    await until(() => s.server.connectionCount === 1, 'the slot freed');
    const d = await helloPeer(s);
    expect(d.closed).toBe(false);
  });

  it('handles at most inFlightMax requests of a connection at once, pauses reading, and loses none', async () => {
    const s = await setup({ inFlightMax: 3 });
    const peer = await helloPeer(s);
    const n = 10;
    await peer.send(concatChunks(Array.from({ length: n }, (_, i) => concatChunks(encodeFetchRequest(100 + i, fetchRequestOf(FOLLOWER))))));
    await until(() => s.handler.calls.length === 3, 'three handler calls');
    await turns(20);
    expect(s.handler.calls).toHaveLength(3);
    for (let answered = 0; answered < n; answered++) {
      await until(() => s.handler.calls.length > answered, `call ${answered}`);
      expect(s.handler.active).toBeLessThanOrEqual(3);
      s.handler.calls[answered]!.answer({ errorCode: ErrorCode.NONE, partitions: [] });
    }
    await until(() => peer.frames.length === n, 'all responses');
    expect(peer.frames.map((f) => f.requestId).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => 100 + i));
    expect(s.handler.activeMax).toBe(3);
    expect(peer.closed).toBe(false);
  });

  it('a follower that stops reading stalls its own requests, not the server’s memory', async () => {
    const s = await setup({ inFlightMax: 2 }, { highWaterMarkBytes: 64 * 1024 });
    const big = batchBytes(512 * 1024, 5);
    s.handler.auto = () => ({ errorCode: ErrorCode.NONE, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 1, logStartOffset: 0, divergingEpoch: null, records: big }] });
    const peer = await helloPeer(s);
    peer.connection.pause();
    const n = 20;
    // The writes stall once the leader stops reading; do not await them.
    for (let i = 0; i < n; i++) void peer.send(encodeFetchRequest(1 + i, fetchRequestOf(FOLLOWER))).catch(() => undefined);
    await until(() => s.handler.calls.length + s.handler.activeMax > 0 && s.server.connectionCount === 1, 'requests reaching the server');
    await turns(50);
    // The server answered at most inFlightMax requests whose responses nobody reads: the
    // rest stay unread in the follower's send queue.
    const served = (): number => s.transport.records[0]!.written.filter((chunk) => chunk === big).length;
    expect(served()).toBeLessThanOrEqual(2);
    // And it stopped reading: the requests behind the bound were not even received (the
    // Hello and the two in flight, one chunk each, at most one more read before the pause).
    expect(s.transport.records[0]!.received.length).toBeLessThanOrEqual(4);
    peer.connection.resume();
    await until(() => peer.frames.length === n, 'every response once the follower reads');
    expect(served()).toBe(n);
    // Requests in flight together read into distinct scratch buffers; a buffer comes back
    // once its response is written, so n requests used no more than inFlightMax of them.
    const scratches = s.handler.scratches;
    expect(scratches.length).toBe(n);
    expect(scratches[0]).not.toBe(scratches[1]);
    expect(new Set(scratches).size).toBeLessThanOrEqual(2);
    for (const scratch of scratches) expect(scratch!.byteLength).toBeGreaterThanOrEqual(fetchRequestOf(FOLLOWER).maxBytes);
  });

  it('lends one scratch buffer to consecutive fetches of a connection', async () => {
    const s = await setup();
    s.handler.auto = () => ({ errorCode: ErrorCode.NONE, partitions: [] });
    const f = fetcher(s);
    for (let i = 0; i < 5; i++) await f.fetch(fetchRequestOf(FOLLOWER));
    expect(s.handler.scratches.length).toBe(5);
    expect(new Set(s.handler.scratches).size).toBe(1);
  });

  it('shutdown aborts long polls, waits for the handlers, and fails the follower’s fetch', async () => {
    const s = await setup();
    const f = fetcher(s);
    const pending = f.fetch(fetchRequestOf(FOLLOWER, 300_000));
    await until(() => s.handler.calls.length === 1, 'the long poll');
    const call = s.handler.calls[0]!;
    let handlerReturned = false;
    call.signal.addEventListener('abort', () => {
      handlerReturned = true;
      call.answer({ errorCode: ErrorCode.NONE, partitions: [] });
    });
    const closed = s.server.close();
    await closed;
    expect(call.signal.aborted).toBe(true);
    expect(handlerReturned).toBe(true);
    await expect(pending).rejects.toMatchObject({ code: 'connection-closed' });
    expect(s.server.connectionCount).toBe(0);
    // A new connection is refused once closed.
    await expect(s.transport.connect({ host: '127.0.0.1', port: s.server.port })).rejects.toThrow();
  });

  it('a handler that throws answers UNKNOWN_SERVER_ERROR and keeps the connection', async () => {
    const s = await setup();
    const f = fetcher(s);
    const pending = f.fetch(fetchRequestOf(FOLLOWER));
    await until(() => s.handler.calls.length === 1, 'the call');
    s.handler.calls[0]!.fail(new Error('disk on fire'));
    await expect(pending).resolves.toEqual({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, partitions: [] } satisfies ReplicaFetchResponse);
    expect(warned(s, /the handler failed/)).toBe(true);
    expect(f.isConnected).toBe(true);
  });
});
