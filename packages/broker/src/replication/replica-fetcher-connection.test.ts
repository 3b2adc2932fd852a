// ReplicaFetcherConnection against a real ReplicaFetchServer and against fake leaders on
// the memory runtime, time on a ManualClock. Checked: the per-request timeout drops the
// connection, the next fetch reconnects only after replica.fetch.backoff.ms; a leader that
// is not there ('connect-failed') is retried after the backoff and then served; responses
// that are oversized, malformed, or answer another request drop the connection
// ('bad-response'); close() ends a running fetch and a backoff wait; the fetcher pool
// (num.replica.fetchers) pins partitions to connections by a stable hash.
import { ErrorCode, RpcFrameSplitter } from '@samsa/codec';
import type { Connection } from '@samsa/runtime';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFetchResponse, encodeHelloResponse, replicaFetchCodec, type ReplicaFetchRequest } from './replica-fetch-messages.ts';
import { ReplicaFetchServer } from './replica-fetch-server.ts';
import { ReplicaFetcherConnection, type ReplicaFetcherConnectionOptions } from './replica-fetcher-connection.ts';
import { fetcherIndexOf, partitionsByFetcher, ReplicaFetcherPool } from './replica-fetcher-pool.ts';
import { fetchRequestOf, ScriptedHandler, turns, until } from './testing/replica-fetch-fixtures.ts';

const CLUSTER = 'c1';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fetcherOn(transport: MemoryTransport, clock: ManualClock, port: number, o: Partial<ReplicaFetcherConnectionOptions> = {}): ReplicaFetcherConnection {
  const f = new ReplicaFetcherConnection({ transport, clock, clusterId: CLUSTER, brokerId: 2, leader: { brokerId: 1, host: '127.0.0.1', port }, socketTimeoutMs: 30_000, backoffMs: 1000, responseFrameBytesMax: 1 << 20, ...o });
  cleanups.push(() => f.close());
  return f;
}

async function serverOn(transport: MemoryTransport, clock: ManualClock, handler: ScriptedHandler, port = 0): Promise<ReplicaFetchServer> {
  const server = await ReplicaFetchServer.start({ transport, clock, clusterId: CLUSTER, brokerId: 1, host: '127.0.0.1', port, handler: handler.handler });
  cleanups.push(async () => {
    for (const call of handler.calls) call.fail(new Error('test over'));
    await server.close();
  });
  return server;
}

/** A leader that answers the Hello correctly, then each fetch with `reply(requestId)`'s chunks. */
async function fakeLeader(transport: MemoryTransport, reply: (requestId: number) => Uint8Array[]): Promise<{ port: number; connections: Connection[] }> {
  const connections: Connection[] = [];
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => {
    connections.push(c);
    const splitter = new RpcFrameSplitter({ frameBytesMax: 1 << 20, codec: replicaFetchCodec });
    c.start({
      onData: (chunk) => {
        for (const frame of splitter.push(chunk)) {
          const body = frame.body as { kind: string };
          const out = body.kind === 'hello' ? encodeHelloResponse(frame.requestId, { protocolVersion: 1, clusterId: CLUSTER, brokerId: 1, errorCode: 0, message: '' }) : reply(frame.requestId);
          void c.write(out).catch(() => undefined);
        }
      },
      onClose: () => undefined,
    });
  });
  cleanups.push(async () => {
    await listener.close();
    for (const c of connections) c.destroy();
  });
  return { port: listener.port, connections };
}

const empty = { errorCode: ErrorCode.NONE, partitions: [] };

describe('ReplicaFetcherConnection', () => {
  it('times out an unanswered fetch, drops the connection, and reconnects only after the backoff', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const handler = new ScriptedHandler();
    const server = await serverOn(transport, clock, handler);
    const f = fetcherOn(transport, clock, server.port, { socketTimeoutMs: 5000, backoffMs: 1000 });
    const first = f.fetch(fetchRequestOf(2));
    await until(() => handler.calls.length === 1, 'the handler call');
    clock.advance(4999);
    await turns(5);
    expect(f.isBusy).toBe(true);
    clock.advance(1);
    await expect(first).rejects.toMatchObject({ code: 'timeout' });
    expect(f.isConnected).toBe(false);
    await until(() => server.connectionCount === 0, 'the server seeing the connection go');
    // The dropped connection aborted the server's handler.
    expect(handler.calls[0]!.signal.aborted).toBe(true);
    handler.auto = () => empty;
    const second = f.fetch(fetchRequestOf(2));
    await turns(20);
    expect(f.connectCount).toBe(1);
    clock.advance(999);
    await turns(20);
    expect(f.connectCount).toBe(1);
    clock.advance(1);
    await expect(second).resolves.toEqual(empty);
    expect(f.connectCount).toBe(2);
  });

  it('retries a leader that is not listening after the backoff, then fetches from it', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const handler = new ScriptedHandler();
    handler.auto = () => empty;
    const port = 40_000;
    const f = fetcherOn(transport, clock, port, { backoffMs: 2000 });
    await expect(f.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'connect-failed' });
    await serverOn(transport, clock, handler, port);
    const next = f.fetch(fetchRequestOf(2));
    await turns(20);
    expect(f.connectCount).toBe(1);
    clock.advance(2000);
    await expect(next).resolves.toEqual(empty);
    expect(f.connectCount).toBe(2);
  });

  it('a response larger than responseFrameBytesMax is refused from its prefix and drops the connection', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const records = new Uint8Array(2000);
    const leader = await fakeLeader(transport, (id) => encodeFetchResponse(id, { errorCode: 0, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 0, logStartOffset: 0, divergingEpoch: null, records }] }));
    const f = fetcherOn(transport, clock, leader.port, { responseFrameBytesMax: 1000 });
    await expect(f.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'bad-response', message: expect.stringMatching(/too-large/) });
    expect(f.isConnected).toBe(false);
  });

  it('malformed responses and answers to another request drop the connection', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const replies: ((id: number) => Uint8Array[])[] = [
      () => [new Uint8Array([0, 0, 0, 2, 7, 7])],
      (id) => encodeFetchResponse(id + 1, empty),
      (id) => encodeHelloResponse(id, { protocolVersion: 1, clusterId: CLUSTER, brokerId: 1, errorCode: 0, message: '' }),
    ];
    for (const reply of replies) {
      const leader = await fakeLeader(transport, reply);
      const f = fetcherOn(transport, clock, leader.port);
      await expect(f.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'bad-response' });
      expect(f.isConnected).toBe(false);
    }
  });

  it('close() ends a running fetch and a backoff wait with closed', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const handler = new ScriptedHandler();
    const server = await serverOn(transport, clock, handler);
    const f = fetcherOn(transport, clock, server.port);
    const running = f.fetch(fetchRequestOf(2));
    await until(() => handler.calls.length === 1, 'the call');
    await f.close();
    await expect(running).rejects.toMatchObject({ code: 'closed' });
    await expect(f.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'closed' });

    const g = fetcherOn(transport, clock, 40_001);
    await expect(g.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'connect-failed' });
    const waiting = g.fetch(fetchRequestOf(2));
    await turns(5);
    await g.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect(g.connectCount).toBe(1);
  });

  it('refuses a Hello answered by another broker than the expected leader', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    const handler = new ScriptedHandler();
    handler.auto = () => empty;
    const server = await serverOn(transport, clock, handler);
    const f = fetcherOn(transport, clock, server.port, { leader: { brokerId: 7, host: '127.0.0.1', port: server.port } });
    await expect(f.fetch(fetchRequestOf(2))).rejects.toMatchObject({ code: 'handshake-refused', message: expect.stringMatching(/answered as broker 1 of cluster c1, expected broker 7/) });
    expect(f.isConnected).toBe(false);
    expect(handler.calls).toHaveLength(0);
  });

  it('joins every response into one reused buffer, and a frame arriving while the last answer is lent out gets its own', async () => {
    const transport = new MemoryTransport();
    const clock = new ManualClock();
    let fill = 1;
    // 20 KiB of records sent as 8 KiB writes, so each response frame spans chunks.
    const answer = (requestId: number): Uint8Array[] => {
      const records = new Uint8Array(20_000).fill(fill);
      const chunks = encodeFetchResponse(requestId, { errorCode: ErrorCode.NONE, partitions: [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE, highWatermark: 0, logStartOffset: 0, divergingEpoch: null, records }] });
      const whole = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const c of chunks) (whole.set(c, at), (at += c.byteLength));
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < whole.byteLength; i += 8192) pieces.push(whole.subarray(i, i + 8192));
      return pieces;
    };
    const leader = await fakeLeader(transport, answer);
    const f = fetcherOn(transport, clock, leader.port);
    const first = (await f.fetch(fetchRequestOf(2))).partitions[0]!.records;
    expect(first.every((b) => b === 1)).toBe(true);
    const reused = first.buffer;
    fill = 2;
    const second = (await f.fetch(fetchRequestOf(2))).partitions[0]!.records;
    expect(second.every((b) => b === 2)).toBe(true);
    expect(second.buffer).toBe(reused); // the same buffer: the caller was done with the first answer
    // An unsolicited frame while `second` is still lent: it must not land in `second`'s bytes.
    fill = 3;
    for (const piece of answer(999)) void leader.connections[0]!.write(piece).catch(() => undefined);
    await until(() => !f.isConnected, 'the connection dropped for the unexpected frame');
    expect(second.every((b) => b === 2)).toBe(true);
  });

  it('refuses a request whose replicaId is not this broker before any I/O', async () => {
    const f = fetcherOn(new MemoryTransport(), new ManualClock(), 1);
    await expect(f.fetch(fetchRequestOf(3))).rejects.toThrow(RangeError);
    expect(f.connectCount).toBe(0);
  });
});

describe('ReplicaFetcherPool', () => {
  it('fetcherIndexOf is stable, in range, and spreads partitions', () => {
    const counts = [0, 0, 0, 0];
    for (let p = 0; p < 400; p++) {
      const i = fetcherIndexOf('AAAAAAAAAAAAAAAAAAAAAQ', p, 4);
      expect(i).toBe(fetcherIndexOf('AAAAAAAAAAAAAAAAAAAAAQ', p, 4));
      counts[i]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(50);
    expect(fetcherIndexOf('x', 123, 1)).toBe(0);
    // Golden values (FNV-1a as documented): a change here re-pins every partition.
    expect([0, 1, 2, 3, 4, 5].map((p) => fetcherIndexOf('AAAAAAAAAAAAAAAAAAAAAQ', p, 8))).toEqual([3, 2, 1, 0, 7, 6]);
    expect(fetcherIndexOf('orders-id', 7, 5)).toBe(3);
    const parts: ReplicaFetchRequest['partitions'] = Array.from({ length: 20 }, (_, p) => ({ ...fetchRequestOf(2).partitions[0]!, partition: p }));
    const groups = partitionsByFetcher(parts, 3);
    expect(groups).toHaveLength(3);
    expect(groups.flat()).toHaveLength(20);
    groups.forEach((g, i) => g.forEach((p) => expect(fetcherIndexOf(p.topicId, p.partition, 3)).toBe(i)));
  });

  it('holds num.replica.fetchers connections per leader, pins partitions, replaces a moved leader', async () => {
    const pool = new ReplicaFetcherPool({ transport: new MemoryTransport(), clock: new ManualClock(), clusterId: CLUSTER, brokerId: 2, socketTimeoutMs: 30_000, backoffMs: 1000, responseFrameBytesMax: 1 << 20, fetchers: 3 });
    cleanups.push(() => pool.close());
    const leader = { brokerId: 1, host: '127.0.0.1', port: 9000 };
    expect(pool.connectionsOf(leader)).toHaveLength(3);
    const c = pool.connectionFor(leader, 'topicid', 5);
    expect(pool.connectionFor(leader, 'topicid', 5)).toBe(c);
    expect(pool.connectionsOf(leader)[fetcherIndexOf('topicid', 5, 3)]).toBe(c);
    const moved = pool.connectionFor({ ...leader, port: 9001 }, 'topicid', 5);
    expect(moved).not.toBe(c);
    expect(moved.leader.port).toBe(9001);
    expect(pool.leaderCount).toBe(1);
    await pool.closeLeader(1);
    expect(pool.leaderCount).toBe(0);
    expect(() => new ReplicaFetcherPool({ transport: new MemoryTransport(), clock: new ManualClock(), clusterId: CLUSTER, brokerId: 2, socketTimeoutMs: 1, backoffMs: 1, responseFrameBytesMax: 1, fetchers: 0 })).toThrow(RangeError);
  });
});
