/**
 * librdkafka >= 2.1's all-topics Metadata request, byte for byte, against the broker
 * process on Node and on Deno (issue 11, defect B). librdkafka writes an int32 0 where the
 * compact-array null belongs, so 3 bytes follow the v9+ body; Kafka ignores them and lists
 * every topic. Debian's librdkafka (2.0.x) still asks at Metadata v4, so no client here
 * sends this form: the frame is written by hand, as librdkafka's rd_kafka_MetadataRequest0
 * lays it out. The connection must stay open, and on Node the bytes are counted in /metrics.
 */
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataResponseCodec, Reader, ResponseHeaderCodec } from '../../packages/codec/src/index.ts';
import { connect, createTopic, freePort, readFrame, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

/** Metadata v12, header v2 (client id "rdkafka", no tags), body: int32 0, allowAuto, includeTopicOps, no tags. */
function librdkafkaAllTopicsFrame(correlationId: number): Buffer {
  const clientId = Buffer.from('rdkafka');
  const header = Buffer.alloc(8 + 2 + clientId.length + 1);
  header.writeInt16BE(3, 0);
  header.writeInt16BE(12, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  clientId.copy(header, 10);
  const body = Buffer.from([0, 0, 0, 0, 1, 0, 0]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length, 0);
  return Buffer.concat([size, header, body]);
}

function decodeMetadataV12(frame: Buffer): { correlationId: number; topics: string[] } {
  const r = new Reader(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), 'ResponseHeader', 1);
  const header = ResponseHeaderCodec.read(r, 1);
  const body = MetadataResponseCodec.read(r, 12);
  const err = r.complete();
  if (err !== null) throw err;
  return { correlationId: header.correlationId, topics: body.topics.map((t) => t.name ?? '').sort() };
}

for (const runtime of RUNTIMES) {
  describe(`librdkafka's all-topics Metadata v12 bytes on ${runtime}`, () => {
    const dir = tempDir(`trailing-${runtime}`);
    let broker: BrokerProcess;
    let adminPort: number;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      adminPort = await freePort();
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime, extraArgs: ['--admin-port', String(adminPort)] });
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await broker?.stop();
      dir.remove();
    });

    it('answers every topic and keeps the connection open', async () => {
      await createTopic(broker.bootstrap, 'trail-a', 1);
      await createTopic(broker.bootstrap, 'trail-b', 2);
      const socket = await connect(broker.port);
      sockets.push(socket);
      for (const correlationId of [101, 102]) {
        socket.write(librdkafkaAllTopicsFrame(correlationId));
        const res = decodeMetadataV12(await readFrame(socket, 10_000));
        expect(res.correlationId).toBe(correlationId);
        expect(res.topics).toEqual(expect.arrayContaining(['trail-a', 'trail-b']));
      }
      expect(socket.destroyed).toBe(false);
      if (runtime === 'node') {
        const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
        expect(metrics).toContain('samsa_requests_with_trailing_bytes_total{api="Metadata"} 2');
        expect(metrics).toContain('samsa_request_trailing_bytes_total{api="Metadata"} 6');
      }
    });
  });
}
