/**
 * What the admin-style commands (`topics`, `groups`) share: a lazily loaded admin client
 * (@samsa/client's Admin, so `--help` never loads the client), the `--bootstrap` option and
 * its flags, the wording of a failed Kafka call (exit 1), and the brokers' DescribeLogDirs
 * lags and per-leader ListOffsets that `topics describe` asks each broker on its own
 * (client/broker-request.ts: the Admin has no DescribeLogDirs, and its listOffsets fails as
 * a whole when one leader does not answer).
 */
import type { Command } from 'commander';
import type { Admin } from '@samsa/client';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { ClientOptions } from '../client/cli-client.ts';
import { partitionKey } from './topic-description.ts';
import type { LagsByBroker } from './topic-description.ts';

/** The Kafka client is loaded only when a command runs. */
export async function withAdmin<T>(options: ClientOptions, body: (admin: Admin) => Promise<T>): Promise<T> {
  const client = await import('../client/cli-client.ts');
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

/** A failed client call as exit 1; a KafkaError's message already names the error (`TOPIC_ALREADY_EXISTS (36): …`). */
export function explainKafkaError(action: string, error: unknown): never {
  if (error instanceof CliError) throw error;
  throw new CliError(`${action} failed: ${(error as Error).message}`, ExitCode.failure);
}

/** DescribeLogDirs v1 / ListOffsets v1: the oldest versions every broker still serving them (Kafka 1.1+, Samsa) answers. */
const DESCRIBE_LOG_DIRS_VERSION = 1;
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
 * (sent at once, each bounded by `timeoutMs`). The client's Admin has no DescribeLogDirs, so
 * it goes out raw (client/broker-request.ts). A broker that does not answer is absent from the map;
 * so is, in a broker's map, a partition it does not list. Never rejects.
 */
export async function replicaLags(brokers: readonly BrokerAddress[], topics: readonly TopicPartitions[], timeoutMs = RAW_REQUEST_TIMEOUT_MS): Promise<LagsByBroker> {
  const [{ brokerRequest }, { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec }] = await Promise.all([import('../client/broker-request.ts'), import('@samsa/codec/wire')]);
  const api = { request: DescribeLogDirsRequestCodec, response: DescribeLogDirsResponseCodec };
  const body = { topics: topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) };
  return fromEachBroker(brokers, async (b) => {
    const r = await brokerRequest({ host: b.host, port: b.port, api, version: DESCRIBE_LOG_DIRS_VERSION, body, timeoutMs });
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
 * `timeoutMs`. Unlike the Admin's listOffsets, which fails as a whole when one partition has
 * no leader or one leader does not answer, a partition without a leader, whose leader does not answer or
 * answers an error is only absent from the map. Never rejects.
 */
export async function partitionOffsets(brokers: readonly BrokerAddress[], led: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly leader: number }>, timeoutMs = RAW_REQUEST_TIMEOUT_MS): Promise<Map<string, OffsetRange>> {
  const [{ brokerRequest }, { ErrorCode, ListOffsetsRequestCodec, ListOffsetsResponseCodec }] = await Promise.all([import('../client/broker-request.ts'), import('@samsa/codec/wire')]);
  const api = { request: ListOffsetsRequestCodec, response: ListOffsetsResponseCodec };
  const byLeader = (b: BrokerAddress) => led.filter((p) => p.leader === b.nodeId);
  const listAt = async (b: BrokerAddress, timestamp: number): Promise<Map<string, number>> => {
    const topics = new Map<string, number[]>();
    for (const p of byLeader(b)) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
    const body = { replicaId: -1, isolationLevel: 0, timeoutMs: 0, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) })) };
    const r = await brokerRequest({ host: b.host, port: b.port, api, version: LIST_OFFSETS_VERSION, body, timeoutMs });
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
