/**
 * The Transport contract: what every @samsa/runtime transport (node, deno, memory) must
 * do, written only against the interface. `defineTransportContract(name, makeTransport)`
 * registers one describe block. Sockets bind 127.0.0.1 only; every wait is a bounded poll
 * (`until`), and what a test opens it closes.
 */
import { describe, expect, it } from 'vitest';
import { TransportError, type Connection, type Transport } from '../../packages/runtime/src/transport.ts';
import { bytes, errorCode, expectSameBytes, patterned, sleepMs, until } from './contract-helpers.ts';

export interface TransportFixture {
  readonly transport: Transport;
  cleanup(): Promise<void>;
}

interface Collected {
  chunks: Uint8Array[];
  bytes: number;
  closed: boolean;
  error: Error | undefined;
  closeCount: number;
}

function collect(connection: Connection): Collected {
  const c: Collected = { chunks: [], bytes: 0, closed: false, error: undefined, closeCount: 0 };
  connection.start({
    onData(chunk) {
      c.chunks.push(chunk.slice());
      c.bytes += chunk.byteLength;
    },
    onClose(error) {
      c.closed = true;
      c.error = error;
      c.closeCount++;
    },
  });
  return c;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A server whose connections echo everything back, pausing while the echo is written. */
async function echoServer(transport: Transport) {
  const accepted: Connection[] = [];
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (connection) => {
    accepted.push(connection);
    connection.start({
      onData(chunk) {
        connection.pause();
        connection.write(chunk.slice()).then(
          () => connection.resume(),
          () => undefined,
        );
      },
      onClose() {},
    });
  });
  return { listener, accepted };
}

export function defineTransportContract(name: string, makeTransport: () => Promise<TransportFixture>): void {
  const test = (title: string, body: (transport: Transport) => Promise<void>) =>
    it(title, async () => {
      const fixture = await makeTransport();
      try {
        await body(fixture.transport);
      } finally {
        await fixture.cleanup();
      }
    });

  describe(`Transport contract: ${name}`, () => {
    test('listens on port 0, connects, and echoes 1 MiB both ways', async (transport) => {
      const { listener } = await echoServer(transport);
      expect(listener.port).toBeGreaterThan(0);
      expect(listener.host).toBe('127.0.0.1');
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      expect(client.remotePort).toBe(listener.port);
      expect(client.localPort).toBeGreaterThan(0);
      const got = collect(client);
      const data = patterned(1024 * 1024, 3);
      for (let at = 0; at < data.length; at += 64 * 1024) await client.write(data.subarray(at, at + 64 * 1024));
      await until(() => got.bytes >= data.length, 'the echo');
      expectSameBytes(concat(got.chunks), data);
      await client.close();
      await listener.close();
    });

    test('serves 40 concurrent clients; each side knows the other address', async (transport) => {
      const { listener, accepted } = await echoServer(transport);
      const clients = await Promise.all(Array.from({ length: 40 }, () => transport.connect({ host: '127.0.0.1', port: listener.port })));
      const results = await Promise.all(
        clients.map(async (client, i) => {
          const got = collect(client);
          const data = patterned(10_000 + i, i + 1);
          await client.write(data);
          await until(() => got.bytes >= data.length, `echo ${i}`);
          expectSameBytes(concat(got.chunks), data);
          return client.localPort;
        }),
      );
      await until(() => accepted.length === 40, 'all accepts');
      expect(new Set(results).size).toBe(40);
      expect(accepted.map((c) => c.remotePort).sort()).toEqual([...results].sort());
      for (const c of accepted) {
        expect(c.remoteAddress).toBe('127.0.0.1');
        expect(c.localPort).toBe(listener.port);
      }
      await Promise.all(clients.map((c) => c.close()));
      await listener.close();
    });

    test('vectored write sends the chunks in order', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await client.write([bytes(1, 2), bytes(), bytes(3)]);
      await client.write([]);
      await client.write(bytes(4));
      await until(() => got.bytes >= 4, 'the echo');
      expect(concat(got.chunks)).toEqual(bytes(1, 2, 3, 4));
      await client.close();
      await listener.close();
    });

    test('writes issued in one tick without awaiting arrive whole and in call order', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      const expected: number[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        const chunk = i % 3 === 0 ? [bytes(i & 0xff), bytes((i + 1) & 0xff)] : bytes(i & 0xff);
        for (const c of Array.isArray(chunk) ? chunk : [chunk]) expected.push(...c);
        writes.push(client.write(chunk));
      }
      await Promise.all(writes);
      await until(() => got.bytes >= expected.length, 'the echo');
      expect([...concat(got.chunks)]).toEqual(expected);
      await client.close();
      await listener.close();
    });

    test('write applies backpressure while the peer does not read, and resumes after', async (transport) => {
      let server: Connection | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (server = c));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      client.pause();
      await until(() => server !== undefined, 'accept');
      const s = server!;
      s.start({ onData() {}, onClose() {} });
      const chunk = patterned(256 * 1024, 5);
      const totalBytes = 96 * 1024 * 1024;
      let written = 0;
      const writer = (async () => {
        while (written < totalBytes) {
          await s.write(chunk);
          written += chunk.byteLength;
        }
      })();
      // Wait until the writer stalls: no progress for 300 ms.
      let last = -1;
      for (let i = 0; i < 100 && written !== last; i++) {
        last = written;
        await sleepMs(300);
      }
      expect(written).toBe(last);
      expect(written).toBeLessThan(totalBytes);
      expect(got.bytes).toBe(0);
      client.resume();
      await writer;
      await until(() => got.bytes >= totalBytes, 'all bytes after resume', 60_000);
      expect(got.bytes).toBe(totalBytes);
      await client.close();
      await listener.close();
    });

    test('pause stops onData until resume', async (transport) => {
      let server: Connection | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => {
        server = c;
        c.start({ onData() {}, onClose() {} });
      });
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await until(() => server !== undefined, 'accept');
      await server!.write(bytes(1));
      await until(() => got.bytes === 1, 'the first byte');
      client.pause();
      await server!.write(bytes(2, 3));
      await sleepMs(100);
      expect(got.bytes).toBe(1);
      client.resume();
      await until(() => got.bytes === 3, 'bytes after resume');
      expect(concat(got.chunks)).toEqual(bytes(1, 2, 3));
      await client.close();
      await listener.close();
    });

    test('close flushes queued writes, then both sides see onClose once', async (transport) => {
      let serverGot: Collected | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (serverGot = collect(c)));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const clientGot = collect(client);
      const data = patterned(300_000, 9);
      void client.write(data);
      await client.close();
      await until(() => clientGot.closed, 'client onClose');
      await until(() => serverGot?.closed === true, 'server onClose');
      expect(serverGot!.bytes).toBe(data.length);
      expectSameBytes(concat(serverGot!.chunks), data);
      expect(serverGot!.error).toBeUndefined();
      await client.close();
      await sleepMs(20);
      expect(clientGot.closeCount).toBe(1);
      expect(serverGot!.closeCount).toBe(1);
      expect(await errorCode(client.write(bytes(1)))).toBe('closed');
      await listener.close();
    });

    test('close delivers everything written even when the closer left input unread', async (transport) => {
      const data = patterned(2 * 1024 * 1024, 11);
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => {
        c.start({ onData() {}, onClose() {} });
        c.pause();
        void (async () => {
          await sleepMs(50); // let the client's bytes arrive and sit unread
          await c.write(data);
          await c.close();
        })();
      });
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await client.write(patterned(200_000, 12));
      await until(() => got.closed, 'the server to close', 20_000);
      expect(got.error).toBeUndefined();
      expectSameBytes(concat(got.chunks), data);
      await listener.close();
    });

    test('destroy closes at once and the peer sees onClose', async (transport) => {
      let serverGot: Collected | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (serverGot = collect(c)));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const clientGot = collect(client);
      await until(() => serverGot !== undefined, 'accept');
      client.destroy();
      await until(() => clientGot.closed, 'client onClose');
      await until(() => serverGot!.closed, 'server onClose');
      expect(clientGot.closeCount).toBe(1);
      await listener.close();
    });

    test('a closed listener refuses new connections but keeps existing ones', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await listener.close();
      await client.write(bytes(42));
      await until(() => got.bytes === 1, 'echo through the old connection');
      const error = await transport.connect({ host: '127.0.0.1', port: listener.port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('refused');
      await client.close();
    });

    test('listening on a port in use fails with address-in-use', async (transport) => {
      const first = await transport.listen({ host: '127.0.0.1', port: 0 }, () => undefined);
      expect(await errorCode(transport.listen({ host: '127.0.0.1', port: first.port }, () => undefined))).toBe('address-in-use');
      await first.close();
    });
  });
}

