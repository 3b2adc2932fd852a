/**
 * The Kafka client the CLI's admin, produce and consume commands use: KafkaJS 2.2.4.
 *
 * Why KafkaJS and not @samsa/client: @samsa/client is not written yet. KafkaJS is a
 * client nobody here wrote, so the CLI exercises the broker the way users' programs do.
 * When @samsa/client lands this file is the one place to swap.
 *
 * Compression: KafkaJS only ships gzip, so every codec (gzip, snappy, lz4, zstd) is
 * registered into KafkaJS's codec table from @samsa/codec's compressors — the same code
 * the broker validates batches with. Decompression is bounded by DECOMPRESSED_BYTES_MAX.
 *
 * Consuming without a group: KafkaJS's `consumer` needs the group APIs (JoinGroup, …),
 * so {@link fetchPartition} reaches KafkaJS's own internal cluster (the same object its
 * consumer uses) and sends a plain Fetch to the partition leader. That touches one
 * private symbol of KafkaJS 2.2.4, pinned exactly in package.json.
 */
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaType, Producer } from 'kafkajs';
import type { CompressionType } from '@samsa/codec';
import { CliError } from '@samsa/host/cli';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;

/** Largest decompressed record set the CLI accepts from one batch. */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

/** Loaded on first use: most commands never (de)compress, and the codec barrel is large. */
let codecModule: Promise<typeof import('@samsa/codec')> | null = null;
const loadCodec = (): Promise<typeof import('@samsa/codec')> => (codecModule ??= import('@samsa/codec'));

function samsaCodec(type: CompressionType) {
  return () => ({
    compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => {
      const { compress, initCompression } = await loadCodec();
      if (type === 4) await initCompression();
      const out = compress(type, new Uint8Array(encoder.buffer.buffer, encoder.buffer.byteOffset, encoder.buffer.byteLength));
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    decompress: async (buffer: Buffer): Promise<Buffer> => {
      const { decompress } = await loadCodec();
      const out = decompress(type, new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), DECOMPRESSED_BYTES_MAX);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  });
}

CompressionCodecs[CompressionTypes.GZIP] = samsaCodec(1);
CompressionCodecs[CompressionTypes.Snappy] = samsaCodec(2);
CompressionCodecs[CompressionTypes.LZ4] = samsaCodec(3);
CompressionCodecs[CompressionTypes.ZSTD] = samsaCodec(4);

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/** KafkaJS's compression id for a name; throws a CliError for codecs KafkaJS cannot do. */
export function compressionFor(name: string): number {
  switch (name) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
    default:
      throw new CliError(`--compression must be one of ${COMPRESSION_NAMES.join(', ')} (got "${name}")`, 2);
  }
}

export interface ClientOptions {
  readonly bootstrap: string;
  readonly clientId?: string;
  /** Per-request timeout; the CLI keeps it short so a dead broker fails fast. */
  readonly requestTimeoutMs?: number;
}

export function createKafka(options: ClientOptions): KafkaType {
  return new Kafka({
    clientId: options.clientId ?? 'samsa-cli',
    brokers: options.bootstrap.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
}

/** Runs `body` with a connected admin client and always disconnects. */
export async function withAdmin<T>(options: ClientOptions, body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(options).admin();
  await connectOrExplain(() => admin.connect(), options.bootstrap);
  try {
    return await body(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function connectedProducer(options: ClientOptions, idempotent: boolean): Promise<Producer> {
  const producer = createKafka(options).producer({
    idempotent,
    // The broker's auto.create.topics.enable decides, as with Kafka's console producer.
    allowAutoTopicCreation: true,
    ...(idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await connectOrExplain(() => producer.connect(), options.bootstrap);
  return producer;
}

export async function connectOrExplain(connect: () => Promise<void>, bootstrap: string): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw new CliError(
      `could not reach a broker at ${bootstrap}: ${(error as Error).message}. ` +
        'Is it running? Start one with `samsa broker` (or `npm start`), or pass --bootstrap host:port.',
      1,
    );
  }
}

/** One record as KafkaJS decodes it from a Fetch response. */
export interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Record<string, Buffer | string | undefined>;
}

export interface FetchedPartition {
  readonly records: FetchedRecord[];
  readonly highWatermark: number;
}

interface InternalBroker {
  fetch(request: unknown): Promise<{
    responses: Array<{
      topicName: string;
      partitions: Array<{ partition: number; errorCode: number; highWatermark: string; messages: FetchedRecord[] }>;
    }>;
  }>;
}

interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string | number }): Promise<InternalBroker>;
}

/**
 * A group-less reader over KafkaJS's internal cluster: Fetch straight to the leader.
 * Close it with `close()`.
 */
export class PartitionReader {
  private readonly cluster: InternalCluster;
  private readonly bootstrap: string;

  constructor(options: ClientOptions) {
    const kafka = createKafka(options) as unknown as Record<symbol, unknown>;
    const create = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (create === undefined) throw new Error('KafkaJS internals changed: no private:Kafka:createCluster (pin kafkajs@2.2.4)');
    const createCluster = kafka[create] as (args: object) => InternalCluster;
    this.cluster = createCluster({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, isolationLevel: 1 });
    this.bootstrap = options.bootstrap;
  }

  async connect(topic: string): Promise<void> {
    await connectOrExplain(() => this.cluster.connect(), this.bootstrap);
    await this.cluster.addTargetTopic(topic);
  }

  /** Fetches from one partition at `offset`; waits up to `maxWaitMs` for data. */
  async fetch(topic: string, partition: number, offset: number, maxWaitMs: number, maxBytes = 1_048_576): Promise<FetchedPartition> {
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const leaderId = Object.keys(leaders)[0];
    if (leaderId === undefined) throw new CliError(`partition ${topic}-${partition} has no leader; check with \`samsa topics describe ${topic}\``, 1);
    const broker = await this.cluster.findBroker({ nodeId: leaderId });
    const response = await broker.fetch({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: maxWaitMs,
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
    });
    const part = response.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
    if (part === undefined) return { records: [], highWatermark: offset };
    // KafkaJS returns whole batches: drop records before the requested offset.
    const records = part.messages.filter((m) => Number(m.offset) >= offset);
    return { records, highWatermark: Number(part.highWatermark) };
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }
}
