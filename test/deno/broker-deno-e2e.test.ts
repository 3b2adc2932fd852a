// The Deno broker (apps/broker-deno) in-process on 127.0.0.1 port 0 with a temp data dir:
// requests encoded with @samsa/codec's encodeRequestFrame go over a real TCP socket
// (Deno.connect, independent of the broker's own transport), responses are decoded with
// decodeResponseFrame. Checks: create, produce (acks=1), fetch back exactly; clean
// shutdown writes the marker; a reopened broker on the same dir serves the same records
// and continues the offsets.
import {
  buildRecordBatch,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  decodeResponseFrame,
  encodeRequestFrame,
  FetchRequestCodec,
  FetchResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';
import { parseServerConfig } from '@samsa/broker';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicsBody, fetchBody, produceBody, valuesOf } from '../../packages/broker/src/testing/requests.ts';
// Through main.ts (it re-exports startDenoBroker) so `deno test` type-checks the whole app.
import { startDenoBroker } from '../../apps/broker-deno/src/main.ts';
import type { RunningDenoBroker } from '../../apps/broker-deno/src/main.ts';

const enc = new TextEncoder();
const FRAME_BYTES_MAX = 16 << 20;

/** A blocking request/response Kafka client over one Deno TCP connection. */
class RawClient {
  private readonly conn: Deno.TcpConn;
  private buffered = new Uint8Array(0);
  private correlationId = 0;
  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: '127.0.0.1', port }));
  }
  async request<Req, Res>(apiKey: number, apiVersion: number, req: MessageCodec<Req>, body: Req, res: MessageCodec<Res>): Promise<Res> {
    const correlationId = ++this.correlationId;
    const frame = encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'deno-e2e' }, req, body);
    for (let done = 0; done < frame.byteLength; ) done += await this.conn.write(frame.subarray(done));
    const size = new DataView((await this.readExactly(4)).buffer).getInt32(0);
    if (size < 0 || size > FRAME_BYTES_MAX) throw new Error(`bad response size ${size}`);
    const decoded = decodeResponseFrame(await this.readExactly(size), apiKey, apiVersion, res);
    expect(decoded.correlationId).toBe(correlationId);
    return decoded.body;
  }
  private async readExactly(n: number): Promise<Uint8Array> {
    for (let reads = 0; this.buffered.byteLength < n; reads++) {
      if (reads > 100_000) throw new Error('too many short reads');
      const chunk = new Uint8Array(64 * 1024);
      const got = await this.conn.read(chunk);
      if (got === null) throw new Error('connection closed by the broker');
      const joined = new Uint8Array(this.buffered.byteLength + got);
      joined.set(this.buffered);
      joined.set(chunk.subarray(0, got), this.buffered.byteLength);
      this.buffered = joined;
    }
    const out = this.buffered.slice(0, n);
    this.buffered = this.buffered.slice(n);
    return out;
  }
  close(): void {
    this.conn.close();
  }
}

async function produce(client: RawClient, topic: string, partition: number, values: string[]): Promise<{ errorCode: number; baseOffset: bigint | number }> {
  const records = buildRecordBatch(values.map((v, i) => ({ key: enc.encode(`k${i}`), value: enc.encode(v), timestampMs: Date.now() })));
  const res = await client.request(0, 9, ProduceRequestCodec, produceBody(topic, partition, records), ProduceResponseCodec);
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function fetchAll(client: RawClient, topic: string, partition: number): Promise<Array<{ offset: number; value: string }>> {
  const res = await client.request(1, 12, FetchRequestCodec, fetchBody(topic, partition, 0), FetchResponseCodec);
  const p = res.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  return valuesOf(p.records);
}

async function start(dataDir: string): Promise<RunningDenoBroker> {
  const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', `log.dirs=${dataDir}`, 'auto.create.topics.enable=false'] });
  return startDenoBroker({ config });
}

describe('Deno broker end to end over TCP', () => {
  let dataDir = '';
  let running: RunningDenoBroker | null = null;
  let client: RawClient | null = null;
  afterEach(async () => {
    client?.close();
    client = null;
    await running?.shutdown();
    running = null;
    if (dataDir !== '') await Deno.remove(dataDir, { recursive: true });
    dataDir = '';
  });

  it('creates, produces and fetches; restarts cleanly and continues the offsets', async () => {
    dataDir = await Deno.makeTempDir({ prefix: 'samsa-deno-e2e-' });
    running = await start(dataDir);
    expect(running.host).toBe('127.0.0.1');
    expect(running.port).toBeGreaterThan(0);
    client = await RawClient.connect(running.port);

    const created = await client.request(19, 7, CreateTopicsRequestCodec, createTopicsBody('events', 2, { timeoutMs: 5000 }), CreateTopicsResponseCodec);
    expect(created.topics[0]!.errorCode).toBe(0);

    const first = await produce(client, 'events', 1, ['a', 'b', 'c']);
    expect(first.errorCode).toBe(0);
    expect(Number(first.baseOffset)).toBe(0);
    const second = await produce(client, 'events', 1, ['d']);
    expect(Number(second.baseOffset)).toBe(3);
    expect(await fetchAll(client, 'events', 1)).toEqual([
      { offset: 0, value: 'a' },
      { offset: 1, value: 'b' },
      { offset: 2, value: 'c' },
      { offset: 3, value: 'd' },
    ]);
    expect(await fetchAll(client, 'events', 0)).toEqual([]);

    client.close();
    client = null;
    await running.shutdown();
    running = null;
    const marker = await Deno.stat(`${dataDir}/.kafka_cleanshutdown`);
    expect(marker.isFile).toBe(true);

    running = await start(dataDir);
    client = await RawClient.connect(running.port);
    expect((await fetchAll(client, 'events', 1)).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd']);
    const third = await produce(client, 'events', 1, ['e']);
    expect(Number(third.baseOffset)).toBe(4);
  });
});
