// NodeTransport's reads on connections it opens (Node's `onread`): into the buffer the
// handler offers (chunks are views of it, the bytes where the kernel put them), into its own
// buffer otherwise (a short read copied out so it pins no 64 KiB), and bytes that arrive
// before start() are delivered at start, in order. Loopback sockets on free ports.
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Listener } from '../transport.ts';
import { NodeTransport } from './node-transport.ts';

const transport = new NodeTransport();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A server that writes `bytes` to each connection, then closes it: once the client sent a
 * byte (as a Kafka broker answers a request), or at once when `onAccept`.
 */
async function sender(bytes: Uint8Array, onAccept = false): Promise<Listener> {
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (connection) => {
    let sent = false;
    const send = (): void => {
      if (sent) return;
      sent = true;
      void connection.write(bytes).then(() => connection.close());
    };
    connection.start({ onData: send, onClose: () => undefined });
    if (onAccept) send();
  });
  cleanups.push(() => listener.close());
  return listener;
}

const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);

async function connect(listener: Listener): Promise<Connection> {
  const connection = await transport.connect({ host: '127.0.0.1', port: listener.port });
  cleanups.push(() => connection.destroy());
  return connection;
}

/** The chunks joined, in order. */
function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function untilClosed(): { promise: Promise<void>; onClose: () => void } {
  let onClose!: () => void;
  const promise = new Promise<void>((resolve) => (onClose = resolve));
  return { promise, onClose };
}

describe('NodeTransport reads on connections it opened', () => {
  it('reads into the buffer the handler offers: every chunk after the first is a view of it, at the offered place', async () => {
    const sent = pattern(3 * 1024 * 1024);
    const listener = await sender(sent);
    const connection = await connect(listener);
    const target = new Uint8Array(sent.length);
    let filled = 0;
    let offers = 0;
    const placed: boolean[] = [];
    const closed = untilClosed();
    connection.start({
      readBuffer: () => {
        if (filled >= target.length) return null;
        offers++;
        return target.subarray(filled);
      },
      onData: (chunk) => {
        const inPlace = chunk.buffer === target.buffer && chunk.byteOffset === filled;
        placed.push(inPlace);
        if (!inPlace) target.set(chunk, filled); // as a reader does with a chunk it did not offer
        filled += chunk.byteLength;
      },
      onClose: closed.onClose,
    });
    void connection.write(new Uint8Array([1]));
    await closed.promise;
    expect(filled).toBe(sent.length);
    // The read already pending when start() ran lands in the transport's buffer (Node picks
    // each read's buffer right after the read before); every later one where offered.
    expect(placed.slice(1).every((p) => p)).toBe(true);
    expect(placed.length).toBeGreaterThan(1);
    expect(target.every((b, i) => b === sent[i])).toBe(true);
    expect(offers).toBeGreaterThan(0);
  });

  it('without an offer, delivers fresh chunks, copying short reads out of its reused buffer', async () => {
    const sent = pattern(300_000);
    const listener = await sender(sent);
    const connection = await connect(listener);
    const chunks: Uint8Array[] = [];
    const closed = untilClosed();
    connection.start({ onData: (chunk) => chunks.push(chunk), onClose: closed.onClose });
    void connection.write(new Uint8Array([1]));
    await closed.promise;
    // A short chunk owns its bytes; a long one may be a view of a 64 KiB buffer no one reuses.
    for (const c of chunks) if (c.byteLength < 32 * 1024) expect(c.buffer.byteLength).toBe(c.byteLength);
    const all = joined(chunks);
    expect(all.every((b, i) => b === sent[i]) && all.length === sent.length).toBe(true);
    // No two chunks share memory (the reused buffer never leaks out).
    const buffers = chunks.map((c) => c.buffer);
    expect(new Set(buffers).size).toBe(buffers.length);
  });

  it('delivers bytes that arrived before start(), in order, then the rest', async () => {
    const sent = pattern(200_000);
    const listener = await sender(sent, true);
    const connection = await connect(listener);
    await new Promise((resolve) => setTimeout(resolve, 100)); // everything has arrived by now
    const chunks: Uint8Array[] = [];
    const closed = untilClosed();
    connection.start({ onData: (chunk) => chunks.push(chunk), onClose: closed.onClose });
    await closed.promise;
    const all = joined(chunks);
    expect(all.length).toBe(sent.length);
    expect(all.every((b, i) => b === sent[i])).toBe(true);
  });
});
