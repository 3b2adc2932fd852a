// Idempotent producer and bad-input behaviour, end to end on the memory runtime.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  InitProducerIdRequestCodec,
  InitProducerIdResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, createTopicsBody, fetchBody, produceBody } from './testing/requests.ts';
import type { Logger } from './observability/logger.ts';
import { encodeRequest } from './testing/kafka-test-client.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

const warnings: Array<{ obj: object; msg?: string }> = [];
const recordingLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => void warnings.push({ obj, msg }),
  error: (obj, msg) => void warnings.push({ obj, msg }),
  child: () => recordingLogger,
};

async function setup(overrides: string[] = []): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  warnings.length = 0;
  tb = await startTestBroker({ overrides, logger: recordingLogger });
  const client = await tb.connect();
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('t', 2), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  return { tb, client };
}

async function initProducerId(client: KafkaTestClient, version = 4): Promise<number> {
  const res = await client.request(22, version, InitProducerIdRequestCodec, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }, InitProducerIdResponseCodec);
  expect(res.errorCode).toBe(ErrorCode.NONE);
  expect(res.producerEpoch).toBe(0);
  return res.producerId;
}

async function produceIdem(client: KafkaTestClient, pid: number, epoch: number, seq: number, values: string[], partition = 0) {
  const batch = batchOf(values, { producerId: pid, producerEpoch: epoch, baseSequence: seq });
  const res = await client.request(0, 9, ProduceRequestCodec, produceBody('t', partition, batch, -1), ProduceResponseCodec);
  return res.responses[0]!.partitionResponses[0]!;
}

const ALL_METADATA = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

describe('idempotent producer (@samsa/log over the memory file system)', () => {
  it('hands out distinct producer ids in every InitProducerId version', async () => {
    const { client } = await setup();
    const ids = [];
    for (let v = 0; v <= 4; v++) ids.push(await initProducerId(client, v));
    expect(new Set(ids).size).toBe(5);
    const txn = await client.request(22, 4, InitProducerIdRequestCodec, { transactionalId: 'tx', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }, InitProducerIdResponseCodec);
    expect(txn.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('answers a duplicate with its original offsets, a gap with OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch with INVALID_PRODUCER_EPOCH', async () => {
    const { client, tb } = await setup();
    const pid = await initProducerId(client);
    expect(await produceIdem(client, pid, 0, 0, ['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produceIdem(client, pid, 0, 2, ['c'])).toMatchObject({ errorCode: 0, baseOffset: 2 });
    // Retry of the first batch: same offsets, nothing appended.
    expect(await produceIdem(client, pid, 0, 0, ['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(tb.broker.registry.partition('t', 0)!.log.logEndOffset).toBe(3);
    // Gap: sequence 5 when 3 is expected.
    expect((await produceIdem(client, pid, 0, 5, ['x'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A new epoch must restart at sequence 0 ...
    expect((await produceIdem(client, pid, 1, 7, ['y'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produceIdem(client, pid, 1, 0, ['y'])).toMatchObject({ errorCode: 0, baseOffset: 3 });
    // ... and fences the old one.
    expect((await produceIdem(client, pid, 0, 3, ['z'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(tb.broker.registry.partition('t', 0)!.log.logEndOffset).toBe(4);
    // Partitions keep separate state.
    expect(await produceIdem(client, pid, 1, 0, ['p1'], 1)).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it('keeps producer state across a restart (rebuilt from the log) and never reuses producer ids', async () => {
    const { client, tb } = await setup();
    const pid = await initProducerId(client);
    expect((await produceIdem(client, pid, 0, 0, ['a'])).errorCode).toBe(0);
    expect((await produceIdem(client, pid, 0, 1, ['b', 'c'])).errorCode).toBe(0);
    await tb.restart();
    const again = await tb.connect();
    expect(await produceIdem(again, pid, 0, 1, ['b', 'c'])).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect((await produceIdem(again, pid, 0, 9, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produceIdem(again, pid, 0, 3, ['d'])).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await initProducerId(again)).toBeGreaterThan(pid);
  });
});

describe('bad input', () => {
  it('closes a connection whose length prefix exceeds socket.request.max.bytes, and keeps serving others', async () => {
    const { client, tb } = await setup(['socket.request.max.bytes=1000']);
    const other = await tb.connect('other');
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 0x7fffffff);
    client.writeRaw(prefix);
    await client.closed;
    expect(warnings.some((w) => JSON.stringify(w.obj).includes('frame-too-large'))).toBe(true);
    const res = await other.request(3, 12, MetadataRequestCodec, ALL_METADATA, MetadataResponseCodec);
    expect(res.topics.map((t) => t.name)).toEqual(['t']);
  });

  it('logs a flood of bad frames as one line per reason, each with its own message, then a summary per 10 s', async () => {
    const { tb } = await setup(['socket.request.max.bytes=1000']);
    for (const [length, count] of [
      [0x7fffffff, 20],
      [-1, 5],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const c = await tb.connect();
        const prefix = new Uint8Array(4);
        new DataView(prefix.buffer).setInt32(0, length);
        c.writeRaw(prefix);
        await c.closed;
      }
    }
    const lines = () => warnings.map((w) => ({ reason: (w.obj as { reason?: string }).reason, msg: w.msg }));
    expect(lines()).toEqual([
      { reason: 'frame-too-large', msg: 'closing connection: request frame larger than socket.request.max.bytes' },
      { reason: 'bad-frame', msg: 'closing connection: request frame with an invalid (negative) length prefix' },
    ]);
    tb.clock.advance(10_000);
    expect(lines().slice(2).map((l) => l.msg).sort()).toEqual([
      '19 more connections closed for frame-too-large in the last 10 s',
      '4 more connections closed for bad-frame in the last 10 s',
    ]);
  });

  it('closes on a malformed body (logged once per interval) and on an unknown API key or version', async () => {
    const { tb } = await setup();
    for (let i = 0; i < 3; i++) {
      const bad = await tb.connect();
      const frame = encodeRequest(3, 12, 1, 'x', MetadataRequestCodec, ALL_METADATA);
      bad.writeRaw(frame.subarray(0, frame.length - 2).map((b, j) => (j < 4 ? 0 : b)).map((b, j, a) => (j === 3 ? a.length - 4 : b)));
      await bad.closed;
    }
    expect(warnings.filter((w) => JSON.stringify(w.obj).includes('malformed'))).toHaveLength(1);
    const unknownKey = await tb.connect();
    unknownKey.writeRaw(new Uint8Array([0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0]));
    await unknownKey.closed;
    // Produce v99 from client "old-app": closed, and the one warning names client, API, version and the served range.
    const badVersion = await tb.connect();
    const clientId = new TextEncoder().encode('old-app');
    const header = new Uint8Array(4 + 8 + 2 + clientId.length);
    const view = new DataView(header.buffer);
    view.setInt32(0, header.length - 4);
    view.setInt16(4, 0);
    view.setInt16(6, 99);
    view.setInt32(8, 7);
    view.setInt16(12, clientId.length);
    header.set(clientId, 14);
    badVersion.writeRaw(header);
    await badVersion.closed;
    const versionWarning = warnings.find((w) => JSON.stringify(w.obj).includes('unsupported-version'));
    expect(versionWarning?.obj).toMatchObject({ clientId: 'old-app', api: 'Produce', apiVersion: 99, served: expect.stringMatching(/^\d+-\d+$/) });
    expect(versionWarning?.msg).toBe('request version this broker does not serve; closing the connection');
    const good = await tb.connect();
    const ok = await good.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 'a', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
    expect(ok.errorCode).toBe(0);
  });

  it('answers pipelined requests in order', async () => {
    const { client } = await setup();
    const sent = [];
    for (let i = 0; i < 50; i++) {
      sent.push(
        i % 3 === 0
          ? { kind: 'produce' as const, s: client.send(0, 9, ProduceRequestCodec, produceBody('t', i % 2, batchOf([`m${i}`]))) }
          : i % 3 === 1
            ? { kind: 'metadata' as const, s: client.send(3, 12, MetadataRequestCodec, ALL_METADATA) }
            : { kind: 'coordinator' as const, s: client.send(10, 3, FindCoordinatorRequestCodec, { key: 'g', keyType: 0, coordinatorKeys: [] }) },
      );
    }
    for (const { kind, s } of sent) {
      if (kind === 'produce') expect((await client.receive(s, ProduceResponseCodec)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      else if (kind === 'metadata') expect((await client.receive(s, MetadataResponseCodec)).topics.filter((t) => !t.isInternal)).toHaveLength(1); // FindCoordinator creates __consumer_offsets
      else expect((await client.receive(s, FindCoordinatorResponseCodec)).nodeId).toBe(1);
    }
  });

  it('enforces max.connections', async () => {
    const { tb } = await setup(['max.connections=2']);
    await tb.connect();
    const third = await tb.connect();
    await third.closed;
    expect(tb.broker.connectionCount).toBe(2);
  });

  it('stops reading a socket whose responses are not read, and resumes when they are', async () => {
    const { client, tb } = await setup(['queued.max.requests=4']);
    // 200 pipelined requests; the broker must not buffer them all when the client does not read.
    const sent = [];
    for (let i = 0; i < 200; i++) sent.push(client.send(3, 12, MetadataRequestCodec, ALL_METADATA));
    await new Promise((r) => setTimeout(r, 50));
    for (const s of sent) expect((await client.receive(s, MetadataResponseCodec)).topics).toHaveLength(1);
    expect(tb.broker.connectionCount).toBe(1);
  });

  it('acks=0 produce that fails closes the connection', async () => {
    const { client } = await setup();
    client.send(0, 9, ProduceRequestCodec, produceBody('missing', 0, batchOf(['x']), 0));
    await client.closed;
    expect(client.isClosed).toBe(true);
  });

  it('shutdown finishes the request in flight and closes connections', async () => {
    const { client, tb: running } = await setup();
    const s = client.send(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(['last'])));
    const res = client.receive(s, ProduceResponseCodec);
    // Shut down once the broker has the request (its append is in the log), whether or not
    // the response has gone out yet; polled, so a slow machine cannot shut down first.
    const log = running.broker.registry.partition('t', 0)!.log;
    for (let i = 0; i < 5000 && log.logEndOffset === 0; i++) await new Promise((r) => setTimeout(r, 1));
    await running.broker.shutdown();
    expect((await res).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    await client.closed;
  });

  it('closes connections idle for connections.max.idle.ms, but not one parked in a long poll', async () => {
    const { client, tb } = await setup(['connections.max.idle.ms=1000']);
    const polling = await tb.connect('poller');
    const sent = polling.send(1, 12, FetchRequestCodec, fetchBody('t', 0, 0, { maxWaitMs: 60_000, minBytes: 1 }));
    await tb.untilParked('t', 0);
    tb.clock.advance(2_500);
    await client.closed;
    expect(polling.isClosed).toBe(false);
    const producer = await tb.connect('producer');
    await producer.request(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(['wake'])), ProduceResponseCodec);
    expect((await polling.receive(sent, FetchResponseCodec)).responses[0]!.partitions[0]!.errorCode).toBe(0);
  });
});
