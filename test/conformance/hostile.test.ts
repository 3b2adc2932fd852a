/**
 * Hostile input: a huge length prefix, garbage after a valid request header, an unknown
 * API key, a slowloris connection and 1,000 idle connections — while an honest client
 * (kcat) keeps producing and consuming correctly on the same broker.
 *
 * Every raw socket here is bounded by a timeout; the broker must close the offending
 * connections itself and keep answering everyone else.
 */
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiVersionsFrame,
  closedWithin,
  connect,
  createTopic,
  expectOk,
  kcat,
  kcatReadAll,
  probeApiVersions,
  readFrame,
  rssKiB,
  sleep,
  startBroker,
  tempDir,
} from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const IDLE_CONNECTIONS = 1_000;

/** A request header v1 (api key, version, correlation id, client id) with `body` after it, size-prefixed. */
function frame(apiKey: number, apiVersion: number, body: Buffer): Buffer {
  const clientId = Buffer.from('hostile');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(42, 4);
  header.writeInt16BE(clientId.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + clientId.length + body.length, 0);
  return Buffer.concat([size, header, clientId, body]);
}

/** A Fetch v4 request for one partition from `offset`, up to `maxBytes` (header v1). */
function fetchV4(topic: string, partition: number, offset: number, maxBytes: number): Buffer {
  const name = Buffer.from(topic);
  const body = Buffer.alloc(4 + 4 + 4 + 4 + 1 + 4 + 2 + name.length + 4 + 4 + 8 + 4);
  let o = 0;
  o = body.writeInt32BE(-1, o); // replica_id
  o = body.writeInt32BE(0, o); // max_wait_ms
  o = body.writeInt32BE(1, o); // min_bytes
  o = body.writeInt32BE(maxBytes, o); // max_bytes
  o = body.writeInt8(0, o); // isolation_level
  o = body.writeInt32BE(1, o); // topics
  o = body.writeInt16BE(name.length, o);
  o += name.copy(body, o);
  o = body.writeInt32BE(1, o); // partitions
  o = body.writeInt32BE(partition, o);
  o = body.writeBigInt64BE(BigInt(offset), o);
  body.writeInt32BE(maxBytes, o);
  return frame(1, 4, body);
}

describe('hostile input', () => {
  const dir = tempDir('hostile');
  let broker: BrokerProcess;
  let round = 0;

  /** The honest client: produce 2,000 keyed records with kcat and read them all back. */
  async function honestRoundTrip(): Promise<void> {
    const topic = `honest-${round++}`;
    await createTopic(broker.bootstrap, topic, 2);
    const values = Array.from({ length: 2_000 }, (_, i) => `honest-${topic}-${i}`);
    expectOk(
      await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], { input: values.map((v, i) => `k${i % 11}:${v}`).join('\n') + '\n', timeoutMs: 30_000 }),
      'honest kcat -P',
    );
    const consumed = await kcatReadAll(broker.bootstrap, topic, 30_000);
    expect(consumed.map((c) => c.value).sort()).toEqual([...values].sort());
  }

  beforeAll(async () => {
    broker = await startBroker({ dataDir: join(dir.path, 'data') });
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('closes a connection whose length prefix is huge, before allocating it', async () => {
    const rssBefore = await rssKiB(broker.pid);
    for (const size of [0x7fffffff, 200 * 1024 * 1024, -1]) {
      const socket = await connect(broker.port);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size, 0);
      socket.write(Buffer.concat([prefix, Buffer.from([0, 18, 0, 0])]));
      expect(await closedWithin(socket, 3_000)).toBe(true);
      socket.destroy();
    }
    // No 2 GiB buffer was allocated for the claimed frame.
    expect((await rssKiB(broker.pid)) - rssBefore).toBeLessThan(100 * 1024);
    expect(await probeApiVersions(broker.port)).toBe(true);
  });

  it('closes a connection that sends garbage after a valid request header', async () => {
    for (const [apiKey, version] of [
      [0, 7], // Produce
      [3, 9], // Metadata
      [1, 11], // Fetch
    ] as const) {
      const socket = await connect(broker.port);
      // 0x7f everywhere: every length or count it decodes to claims more bytes than follow.
      // (Random bytes could decode as a valid prefix, which the broker now answers, as
      // Kafka does, ignoring the trailing bytes.)
      socket.write(frame(apiKey, version, Buffer.alloc(64, 0x7f)));
      expect(await closedWithin(socket, 3_000)).toBe(true);
      socket.destroy();
    }
    expect(await probeApiVersions(broker.port)).toBe(true);
  });

  it('answers an unknown API key with an error or a close, never a hang', async () => {
    const socket = await connect(broker.port);
    socket.write(frame(9_999, 0, Buffer.alloc(0)));
    expect(await closedWithin(socket, 3_000)).toBe(true);
    socket.destroy();
  });

  it('keeps serving an honest client through a slowloris and 1,000 idle connections', async () => {
    const sockets: Socket[] = [];
    let slowTimer: ReturnType<typeof setInterval> | undefined;
    try {
      // Slowloris: a frame announcing 1 KiB, trickled one byte every 100 ms.
      const slow = await connect(broker.port);
      slow.on('error', () => {});
      sockets.push(slow);
      const head = Buffer.alloc(4);
      head.writeInt32BE(1024, 0);
      slow.write(head);
      slowTimer = setInterval(() => {
        if (!slow.destroyed) slow.write(Buffer.from([0]));
      }, 100);

      for (let i = 0; i < IDLE_CONNECTIONS; i++) {
        const s = await connect(broker.port, 5_000);
        s.on('error', () => {});
        sockets.push(s);
      }
      // A request pipelined on one of the idle connections still gets its answer.
      const busy = sockets[sockets.length - 1]!;
      busy.write(apiVersionsFrame(99));
      const answer = await readFrame(busy, 5_000);
      expect(answer.readInt32BE(0)).toBe(99);

      await honestRoundTrip();
      await honestRoundTrip();
      expect(await probeApiVersions(broker.port)).toBe(true);
    } finally {
      if (slowTimer) clearInterval(slowTimer);
      for (const s of sockets) s.destroy();
    }
    await sleep(200);
    await honestRoundTrip();
  });

  it('bounds the memory of a client that pipelines fetches and never reads the responses', async () => {
    const topic = 'never-read';
    await createTopic(broker.bootstrap, topic, 1);
    const values = Array.from({ length: 1_000 }, (_, i) => `${i}-${'v'.repeat(1_000)}`);
    expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], { input: values.join('\n') + '\n', timeoutMs: 30_000 }), 'kcat -P');
    const rssBefore = await rssKiB(broker.pid);
    const greedy = await connect(broker.port);
    greedy.on('error', () => {});
    greedy.pause(); // never read: the responses (≈1 MB each, 400 of them) pile up on the broker's side
    const request = fetchV4(topic, 0, 0, 1_048_576);
    for (let i = 0; i < 400; i++) greedy.write(request);
    await sleep(3_000);
    const grownKiB = (await rssKiB(broker.pid)) - rssBefore;
    try {
      await honestRoundTrip();
      expect(grownKiB).toBeLessThan(150 * 1024);
    } finally {
      greedy.destroy();
    }
  });
});
