/**
 * OffsetForLeaderEpoch (key 23) on the broker process, Node and Deno (issue 14). The broker
 * now advertises it (v0-4) in ApiVersions, so every librdkafka client sees it:
 *   - librdkafka clients keep working against a broker that advertises it: python3-
 *     confluent-kafka's idempotent producer and assign() consumer, and kcat reading back
 *     (Debian's librdkafka is 2.0.x; its consumer validates offsets with this API only
 *     from 2.1 on, KIP-320, so here it proves the advertisement breaks nothing);
 *   - the API itself, asked on a raw socket as a consumer (replica_id -1) in v2, v3 and v4
 *     with current_leader_epoch 0 (the single broker's epoch): epoch 0 ends at the log end
 *     offset of each partition (what kcat read back), a newer epoch is unknown (-1/-1),
 *     an unknown topic is UNKNOWN_TOPIC_OR_PARTITION, and the connection stays open.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  decodeResponseFrame,
  encodeRequestFrame,
  ErrorCode,
  OffsetForLeaderEpochRequestCodec,
  OffsetForLeaderEpochResponseCodec,
} from '../../packages/codec/src/index.ts';
import type { MessageCodec, OffsetForLeaderEpochResponse } from '../../packages/codec/src/index.ts';
import type { Socket } from 'node:net';
import { byPartition, connect, createTopic, expectOk, kcatReadAll, python, readFrame, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';
import { PY_CONSUME, PY_PRODUCE, lastJson } from './python-scripts.ts';
import type { ConsumeReport, ProduceReport } from './python-scripts.ts';

const KEY = 23;
const PARTITIONS = 3;
const RECORDS = 3_000;

async function ask<Req, Res>(socket: Socket, apiKey: number, version: number, correlationId: number, req: MessageCodec<Req>, body: Req, res: MessageCodec<Res>): Promise<Res> {
  socket.write(encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'conformance' }, req, body));
  const frame = await readFrame(socket, 10_000);
  const decoded = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), apiKey, version, res);
  expect(decoded.correlationId).toBe(correlationId);
  return decoded.body;
}

for (const runtime of RUNTIMES) {
  describe(`OffsetForLeaderEpoch on ${runtime}`, () => {
    const dir = tempDir(`ofle-${runtime}`);
    let broker: BrokerProcess;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await broker?.stop();
      dir.remove();
    });

    it('is advertised, librdkafka clients work, and the leader answers from its epoch cache', async () => {
      const topic = 'ofle';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      const produced = lastJson<ProduceReport>(expectOk(await python(PY_PRODUCE, [broker.bootstrap, topic, String(RECORDS), 'none', '1']), 'python produce').stdout);
      expect(produced.errors).toEqual([]);
      expect(produced.delivered).toBe(RECORDS);
      const consumed = lastJson<ConsumeReport>(expectOk(await python(PY_CONSUME, [broker.bootstrap, topic, String(PARTITIONS), String(RECORDS)]), 'python consume').stdout);
      expect(consumed.errors).toEqual([]);
      expect(consumed.records).toHaveLength(RECORDS);
      const read = byPartition(await kcatReadAll(broker.bootstrap, topic));
      const endOffsets = Array.from({ length: PARTITIONS }, (_, p) => read.get(p)?.length ?? 0);
      expect(endOffsets.reduce((a, b) => a + b, 0)).toBe(RECORDS);

      const socket = await connect(broker.port);
      sockets.push(socket);
      const versions = await ask(socket, 18, 3, 1, ApiVersionsRequestCodec, { clientSoftwareName: 'conformance', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
      expect(versions.apiKeys.find((k) => k.apiKey === KEY)).toMatchObject({ minVersion: 0, maxVersion: 4 });

      let correlationId = 10;
      for (const version of [2, 3, 4]) {
        const body = {
          replicaId: -1,
          topics: [
            { topic, partitions: endOffsets.flatMap((_, partition) => [{ partition, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition, currentLeaderEpoch: 0, leaderEpoch: 1 }]) },
            { topic: 'no-such-topic', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
          ],
        };
        const res: OffsetForLeaderEpochResponse = await ask(socket, KEY, version, correlationId++, OffsetForLeaderEpochRequestCodec, body, OffsetForLeaderEpochResponseCodec);
        const answers = res.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset]) }));
        expect(answers, `v${version}`).toEqual([
          { topic, partitions: endOffsets.flatMap((end, partition) => [[partition, ErrorCode.NONE, 0, end], [partition, ErrorCode.NONE, -1, -1]]) },
          { topic: 'no-such-topic', partitions: [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]] },
        ]);
      }
      expect(socket.destroyed).toBe(false);
    });
  });
}
