// Captures REAL Kafka request frames from kcat (librdkafka) and KafkaJS into golden vectors.
//
// Run from packages/codec:  npx tsx test/golden/capture.mjs
//
// A tiny TCP listener plays a one-broker cluster just well enough for the clients to get
// to Produce and Fetch: it answers ApiVersions (advertising Produce, Fetch, ListOffsets,
// Metadata, ApiVersions over the spec ranges), Metadata (itself as broker 1, topic "golden"
// with one partition led by itself), ListOffsets (offset 0), Produce (ok) and Fetch (empty,
// high watermark 0) using this package's own encoders. Every request frame (without its
// 4-byte size prefix) is written to vectors/<client>-<api>-v<version>.bin, the first of
// each kind per client run, with index.json listing { file, client, apiKey, api, version }.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { apiByKey, decodeRequestFrame, decodeMessage, encodeResponseFrame } from '../../src/kafka/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'vectors');
const TOPIC = 'golden';
const TOPIC_ID = 'AAECAwQFBgcICQoLDA0ODw';
// FindCoordinator (10) must be there: librdkafka enables LZ4 only when the broker has it
const ADVERTISED = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18];
const framesPerConnectionMax = 200;

let client = 'unknown';
const index = [];
const seen = new Set();

function save(frame, header) {
  const api = apiByKey.get(header.requestApiKey);
  const key = `${client}-${api.name}-v${header.requestApiVersion}`;
  if (seen.has(key)) return;
  seen.add(key);
  const file = `${key}.bin`;
  writeFileSync(join(outDir, file), frame);
  index.push({ file, client, apiKey: header.requestApiKey, api: api.name, version: header.requestApiVersion });
}

function respond(header, body, port) {
  const { requestApiKey: key, requestApiVersion: v, correlationId } = header;
  const api = apiByKey.get(key);
  const ep = { nodeId: 1, host: '127.0.0.1', port, rack: null };
  let msg;
  if (key === 18) {
    msg = {
      errorCode: 0,
      apiKeys: ADVERTISED.map((k) => ({ apiKey: k, minVersion: apiByKey.get(k).minVersion, maxVersion: apiByKey.get(k).maxVersion })),
      throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false,
    };
  } else if (key === 3) {
    const names = body.topics === null || body.topics.length === 0 ? [TOPIC] : body.topics.map((t) => t.name ?? TOPIC);
    msg = {
      throttleTimeMs: 0, brokers: [ep], clusterId: 'samsa-golden', controllerId: 1, clusterAuthorizedOperations: -2147483648,
      topics: names.map((name) => ({
        errorCode: 0, name, topicId: TOPIC_ID, isInternal: false, topicAuthorizedOperations: -2147483648,
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
      })),
    };
  } else if (key === 2) {
    msg = {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: v === 0 ? [0] : [], timestamp: -1, offset: 0, leaderEpoch: v >= 4 ? 0 : -1 })),
      })),
    };
  } else if (key === 0) {
    if (body.acks === 0) return null;
    msg = {
      throttleTimeMs: 0, nodeEndpoints: [],
      responses: body.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({
          index: p.index, errorCode: 0, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 },
        })),
      })),
    };
  } else if (key === 1) {
    msg = {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [],
      responses: body.topics.map((t) => ({
        topic: t.topic, topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition, errorCode: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0,
          divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
          abortedTransactions: null, preferredReadReplica: -1, records: new Uint8Array(0),
        })),
      })),
    };
  } else if (key === 10) {
    msg = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: '127.0.0.1', port, coordinators: [] };
  } else if (key === 11) {
    const memberId = body.memberId || 'golden-member';
    const protocol = body.protocols[0];
    msg = {
      throttleTimeMs: 0, errorCode: 0, generationId: 1, protocolType: v >= 7 ? 'consumer' : null, protocolName: protocol.name,
      leader: memberId, skipAssignment: false, memberId, members: [{ memberId, groupInstanceId: null, metadata: protocol.metadata }],
    };
  } else if (key === 14) {
    const mine = body.assignments.find((a) => a.memberId === body.memberId) ?? body.assignments[0];
    msg = { throttleTimeMs: 0, errorCode: 0, protocolType: v >= 5 ? 'consumer' : null, protocolName: v >= 5 ? body.protocolName : null, assignment: mine?.assignment ?? new Uint8Array(0) };
  } else if (key === 9) {
    msg = {
      throttleTimeMs: 0, errorCode: 0, groups: [],
      topics: (body.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 })),
      })),
    };
  } else if (key === 12) {
    msg = { throttleTimeMs: 0, errorCode: 0 };
  } else if (key === 13) {
    msg = { throttleTimeMs: 0, errorCode: 0, members: [] };
  } else if (key === 8) {
    msg = { throttleTimeMs: 0, topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })) };
  } else return null;
  return encodeResponseFrame(key, v, correlationId, api.response, msg);
}

function startListener() {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    let frames = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && frames < framesPerConnectionMax) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = new Uint8Array(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        frames++;
        try {
          const { header, body } = decodeRequestFrame(frame);
          const api = apiByKey.get(header.requestApiKey);
          const request = decodeMessage(api.request, body, header.requestApiVersion);
          save(frame, header);
          const reply = respond(header, request, server.address().port);
          // Fetch long-polls: answer it after a pause so an idle consumer does not spin
          if (reply !== null) setTimeout(() => socket.write(reply), header.requestApiKey === 1 ? 100 : 0);
        } catch (e) {
          console.error(`[${client}] cannot handle a frame: ${e.message}`);
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function run(cmd, args, input, timeoutMs = 15000) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) console.error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(0, 400)}`);
      resolve(code);
    });
    child.stdin.end(input);
  });
}

async function kafkajs(port) {
  const require = createRequire(import.meta.url);
  const { Kafka, CompressionTypes, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  client = 'kafkajs';
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: [{ key: 'k', value: 'hello', headers: { h: 'v' } }] });
  client = 'kafkajs-gzip';
  await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: [{ value: 'one' }, { value: 'two' }] });
  await producer.disconnect();

  client = 'kafkajs-consumer';
  const consumer = kafka.consumer({ groupId: 'golden-group', sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  for (let i = 0; i < 100 && !index.some((e) => e.client === client && e.api === 'Fetch'); i++) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
}

const server = await startListener();
const port = server.address().port;
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const broker = `127.0.0.1:${port}`;
// librdkafka sends a batch uncompressed when compression does not shrink it: give it text that compresses
const compressible = Array.from({ length: 50 }, (_, i) => `line ${i} of a golden vector, repeated to be worth compressing`).join('\n') + '\n';
for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  client = `kcat-${codec}`;
  await run('kcat', ['-P', '-b', broker, '-t', TOPIC, '-p', '0', '-z', codec, '-k', 'key', '-X', 'linger.ms=200'], compressible);
}
client = 'kcat-consumer';
await run('kcat', ['-C', '-b', broker, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-c', '1'], '');
await kafkajs(port);
server.close();
index.sort((a, b) => a.file.localeCompare(b.file));
writeFileSync(join(here, 'index.json'), `${JSON.stringify({ clients: { kcat: 'kcat 1.7.1 (librdkafka 2.0.2)', kafkajs: 'kafkajs 2.2.4' }, vectors: index }, null, 1)}\n`);
console.log(`captured ${index.length} frames:`, index.map((e) => e.file).join(' '));
process.exit(0);
