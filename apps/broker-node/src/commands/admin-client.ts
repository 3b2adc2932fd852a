/**
 * What the admin-style commands (`topics`, `groups`) share: a lazily loaded Kafka admin
 * client (so `--help` never loads KafkaJS), the `--bootstrap` option and its flags, the
 * wording of a failed Kafka call (exit 1), and the brokers' DescribeLogDirs lags (a raw
 * request: KafkaJS does not send that API).
 */
import type { Command } from 'commander';
import type { Admin } from 'kafkajs';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { ClientOptions } from '../client/kafka-client.ts';
import { partitionKey } from './topic-description.ts';
import type { LagsByBroker } from './topic-description.ts';

/** The Kafka client is loaded only when a command runs. */
export async function withAdmin<T>(options: ClientOptions, body: (admin: Admin) => Promise<T>): Promise<T> {
  const client = await import('../client/kafka-client.ts');
  return client.withAdmin(options, body);
}

/** Flags every admin command has. */
export interface Common {
  bootstrap?: string;
  json?: boolean;
}

export function bootstrapOption(cmd: Command): Command {
  return cmd.option('-b, --bootstrap <host:port>', 'broker to talk to (env SAMSA_BOOTSTRAP)', undefined);
}

export function explainKafkaError(action: string, error: unknown): never {
  if (error instanceof CliError) throw error;
  const e = error as { type?: string; message: string };
  throw new CliError(`${action} failed: ${e.type ?? ''}${e.type ? ': ' : ''}${e.message}`, ExitCode.failure);
}

/** DescribeLogDirs v1 / ListOffsets v1: the oldest versions every broker still serving them (Kafka 1.1+, Samsa) answers. */
const DESCRIBE_LOG_DIRS_KEY = 35;
const DESCRIBE_LOG_DIRS_VERSION = 1;
const LIST_OFFSETS_KEY = 2;
const LIST_OFFSETS_VERSION = 1;
const EARLIEST = -2;
const LATEST = -1;
/** Each broker gets this long to answer each raw request; one that does not shows '-'. */
export const RAW_REQUEST_TIMEOUT_MS = 5_000;

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Runs `ask` for every broker at once; a broker whose `ask` throws is left out. Never rejects. */
async function fromEachBroker<T>(brokers: readonly BrokerAddress[], ask: (b: BrokerAddress) => Promise<T>): Promise<Map<number, T>> {
  const answers = await Promise.all(brokers.map((b) => ask(b).then((a) => [b.nodeId, a] as const, () => null)));
  return new Map(answers.filter((a) => a !== null));
}

/**
 * Each partition's offset lag on each broker, from one DescribeLogDirs request per broker
 * (sent at once, each bounded by `timeoutMs`). KafkaJS has no DescribeLogDirs, so it goes
 * out raw (client/kafka-request.ts). A broker that does not answer is absent from the map;
 * so is, in a broker's map, a partition it does not list. Never rejects.
 */
export async function replicaLags(brokers: readonly BrokerAddress[], topics: readonly TopicPartitions[], timeoutMs = RAW_REQUEST_TIMEOUT_MS): Promise<LagsByBroker> {
  const [{ kafkaRequest }, { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec }] = await Promise.all([import('../client/kafka-request.ts'), import('@samsa/codec')]);
  const body = { topics: topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) };
  return fromEachBroker(brokers, async (b) => {
    const r = await kafkaRequest({ host: b.host, port: b.port, apiKey: DESCRIBE_LOG_DIRS_KEY, apiVersion: DESCRIBE_LOG_DIRS_VERSION, request: DescribeLogDirsRequestCodec, body, response: DescribeLogDirsResponseCodec, timeoutMs });
    const lags = new Map<string, number>();
    for (const dir of r.results) for (const t of dir.topics) for (const p of t.partitions) if (!p.isFutureKey) lags.set(partitionKey(t.name, p.partitionIndex), p.offsetLag);
    return lags;
  });
}

export interface OffsetRange {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/**
 * The log start offset and high watermark of each partition, from its leader: two
 * ListOffsets (earliest, latest) per leader broker, sent at once, each bounded by
 * `timeoutMs`. Unlike KafkaJS's fetchTopicOffsets, which fails for the whole topic when one
 * partition has no leader, a partition without a leader, whose leader does not answer or
 * answers an error is only absent from the map. Never rejects.
 */
export async function partitionOffsets(brokers: readonly BrokerAddress[], led: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly leader: number }>, timeoutMs = RAW_REQUEST_TIMEOUT_MS): Promise<Map<string, OffsetRange>> {
  const [{ kafkaRequest }, { ErrorCode, ListOffsetsRequestCodec, ListOffsetsResponseCodec }] = await Promise.all([import('../client/kafka-request.ts'), import('@samsa/codec')]);
  const byLeader = (b: BrokerAddress) => led.filter((p) => p.leader === b.nodeId);
  const listAt = async (b: BrokerAddress, timestamp: number): Promise<Map<string, number>> => {
    const topics = new Map<string, number[]>();
    for (const p of byLeader(b)) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
    const body = { replicaId: -1, isolationLevel: 0, timeoutMs: 0, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) })) };
    const r = await kafkaRequest({ host: b.host, port: b.port, apiKey: LIST_OFFSETS_KEY, apiVersion: LIST_OFFSETS_VERSION, request: ListOffsetsRequestCodec, body, response: ListOffsetsResponseCodec, timeoutMs });
    const out = new Map<string, number>();
    for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) out.set(partitionKey(t.name, p.partitionIndex), p.offset);
    return out;
  };
  const leaders = brokers.filter((b) => byLeader(b).length > 0);
  const answers = await fromEachBroker(leaders, (b) => Promise.all([listAt(b, EARLIEST), listAt(b, LATEST)]));
  const ranges = new Map<string, OffsetRange>();
  for (const [earliest, latest] of answers.values()) {
    for (const [key, highWatermark] of latest) {
      const logStartOffset = earliest.get(key);
      if (logStartOffset !== undefined) ranges.set(key, { logStartOffset, highWatermark });
    }
  }
  return ranges;
}
