// MemoryTransport specifics beyond the shared contract: a connection closed before start
// reports at start, writes to a closed peer fail, ports are reused after close, a shared
// network serves several runtimes, and a custom high-water mark is honoured.
import { describe, expect, it } from 'vitest';
import { TransportError, type Connection } from '../transport.ts';
import { memoryRuntime } from './memory-runtime.ts';
import { MemoryTransport } from './memory-transport.ts';

/** Lets 20 event-loop turns pass: enough for any delivery chain, however loaded the machine. */
const tick = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe('MemoryTransport', () => {
  it('reports onClose at start() when the peer closed before it', async () => {
    const net = new MemoryTransport();
    let server: Connection | undefined;
    const listener = await net.listen({ host: 'h', port: 9092 }, (c) => (server = c));
    const client = await net.connect({ host: 'h', port: 9092 });
    client.start({ onData() {}, onClose() {} });
    await client.write(Uint8Array.of(1, 2));
    await client.close();
    await tick();
    const got: number[] = [];
    let closed = 0;
    server!.start({ onData: (c) => got.push(...c), onClose: () => closed++ });
    await tick();
    expect(got).toEqual([1, 2]);
    expect(closed).toBe(1);
    await listener.close();
  });

  it('fails writes towards a closed peer with closed', async () => {
    const net = new MemoryTransport();
    let server: Connection | undefined;
    await net.listen({ host: 'h', port: 1 }, (c) => {
      server = c;
      c.start({ onData() {}, onClose() {} });
    });
    const client = await net.connect({ host: 'h', port: 1 });
    client.start({ onData() {}, onClose() {} });
    await tick();
    await server!.close();
    const error = await client.write(Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('closed');
  });

  it('holds a writer at the high-water mark until the reader drains', async () => {
    const net = new MemoryTransport({ highWaterMarkBytes: 10 });
    let server: Connection | undefined;
    await net.listen({ host: 'h', port: 2 }, (c) => (server = c));
    const client = await net.connect({ host: 'h', port: 2 });
    await tick();
    let done = false;
    void client.write(new Uint8Array(11)).then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    const got: number[] = [];
    server!.start({ onData: (c) => got.push(c.byteLength), onClose() {} });
    await tick();
    expect(done).toBe(true);
    expect(got).toEqual([11]);
  });

  it('lets runtimes share a network and reuses a closed listener port', async () => {
    const network = new MemoryTransport();
    const a = memoryRuntime({ seed: 1, network });
    const b = memoryRuntime({ seed: 2, network });
    const listener = await a.transport.listen({ host: 'broker-1', port: 9092 }, (c) => c.start({ onData() {}, onClose() {} }));
    const conn = await b.transport.connect({ host: 'broker-1', port: 9092 });
    expect(conn.remotePort).toBe(9092);
    await listener.close();
    const again = await a.transport.listen({ host: 'broker-1', port: 9092 }, () => undefined);
    expect(again.port).toBe(9092);
    const loopback = await network.listen({ host: 'localhost', port: 7 }, () => undefined);
    await network.connect({ host: '127.0.0.1', port: loopback.port });
    const wildcard = await network.listen({ host: '0.0.0.0', port: 8 }, () => undefined);
    await network.connect({ host: 'anything', port: wildcard.port });
  });
});

describe('MemoryTransport faults', () => {
  it('resetAll closes every open connection with an error on both ends', async () => {
    const net = new MemoryTransport();
    const serverErrors: (Error | undefined)[] = [];
    await net.listen({ host: 'h', port: 3 }, (c) => c.start({ onData() {}, onClose: (e) => serverErrors.push(e) }));
    const clientErrors: (Error | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await net.connect({ host: 'h', port: 3 });
      c.start({ onData() {}, onClose: (e) => clientErrors.push(e) });
    }
    await tick();
    expect(net.openConnections()).toBe(6);
    net.resetAll();
    await tick();
    expect(net.openConnections()).toBe(0);
    expect(clientErrors).toHaveLength(3);
    expect(serverErrors).toHaveLength(3);
    for (const e of [...clientErrors, ...serverErrors]) expect((e as TransportError).code).toBe('closed');
  });

  it('close() resolves even on a connection that was never started', async () => {
    const net = new MemoryTransport();
    await net.listen({ host: 'h', port: 4 }, () => undefined);
    const c = await net.connect({ host: 'h', port: 4 });
    await c.close();
    expect(net.openConnections()).toBe(1); // the unstarted server end still holds the FIN unread
  });
});
