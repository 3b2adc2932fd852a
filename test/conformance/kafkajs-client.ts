/**
 * KafkaJS 2.2.4 set up for the conformance suites: a client nobody here wrote.
 *
 * Compression: KafkaJS ships only gzip, so gzip, snappy, lz4 and zstd are registered into
 * KafkaJS's codec table from @samsa/codec's compressors, the code the broker validates
 * batches with. Decompression is bounded by DECOMPRESSED_BYTES_MAX.
 *
 * Reading without a group: {@link PartitionReader} reaches KafkaJS's internal cluster (the
 * object its consumer uses) and sends a plain Fetch to the partition leader. That touches
 * one private symbol of KafkaJS 2.2.4, pinned exactly in the root package.json.
 *
 * (This was the CLI's client before the CLI moved to @samsa/client; only tests use it now.)
 */
import kafkajs from 'kafkajs';
import type { Kafka as KafkaType } from 'kafkajs';
import { compress, decompress, initCompression } from '../../packages/codec/src/compression/index.ts';
import type { CompressionType } from '../../packages/codec/src/compression/index.ts';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;

/** Largest decompressed record set accepted from one batch. */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

function samsaCodec(type: CompressionType) {
  return () => ({
    compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => {
      if (type === 4) await initCompression();
      const out = compress(type, new Uint8Array(encoder.buffer.buffer, encoder.buffer.byteOffset, encoder.buffer.byteLength));
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    decompress: async (buffer: Buffer): Promise<Buffer> => {
      if (type === 4) await initCompression();
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

/** KafkaJS's compression id for a codec name; throws for names KafkaJS cannot send. */
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
      throw new Error(`compression must be one of ${COMPRESSION_NAMES.join(', ')} (got "${name}")`);
  }
}

export interface ClientOptions {
  readonly bootstrap: string;
  readonly clientId?: string;
  readonly requestTimeoutMs?: number;
}

export function createKafka(options: ClientOptions): KafkaType {
  return new Kafka({
    clientId: options.clientId ?? 'samsa-conformance',
    brokers: options.bootstrap.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
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

/** A group-less reader over KafkaJS's internal cluster: Fetch straight to the leader. */
export class PartitionReader {
  private readonly cluster: InternalCluster;

  constructor(options: ClientOptions) {
    const kafka = createKafka(options) as unknown as Record<symbol, unknown>;
    const create = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (create === undefined) throw new Error('KafkaJS internals changed: no private:Kafka:createCluster (pin kafkajs@2.2.4)');
    const createCluster = kafka[create] as (args: object) => InternalCluster;
    this.cluster = createCluster({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, isolationLevel: 1 });
  }

  async connect(topic: string): Promise<void> {
    await this.cluster.connect();
    await this.cluster.addTargetTopic(topic);
  }

  /** Fetches from one partition at `offset`; waits up to `maxWaitMs` for data. */
  async fetch(topic: string, partition: number, offset: number, maxWaitMs: number, maxBytes = 1_048_576): Promise<FetchedPartition> {
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const leaderId = Object.keys(leaders)[0];
    if (leaderId === undefined) throw new Error(`partition ${topic}-${partition} has no leader`);
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
