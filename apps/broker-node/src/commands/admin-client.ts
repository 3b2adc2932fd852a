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

/** DescribeLogDirs: v1 is the oldest version every broker still serving it (Kafka 1.1+, Samsa) answers. */
const DESCRIBE_LOG_DIRS_KEY = 35;
const DESCRIBE_LOG_DIRS_VERSION = 1;
/** Each broker gets this long to answer DescribeLogDirs; one that does not shows '-' lags. */
export const LOG_DIRS_TIMEOUT_MS = 5_000;

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Each partition's offset lag on each broker, from one DescribeLogDirs request per broker
 * (sent at once, each bounded by `timeoutMs`). KafkaJS has no DescribeLogDirs, so it goes
 * out raw (client/kafka-request.ts). A broker that does not answer is absent from the map;
 * so is, in a broker's map, a partition it does not list. Never rejects.
 */
export async function replicaLags(brokers: readonly BrokerAddress[], topics: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>, timeoutMs = LOG_DIRS_TIMEOUT_MS): Promise<LagsByBroker> {
  const [{ kafkaRequest }, { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec }] = await Promise.all([import('../client/kafka-request.ts'), import('@samsa/codec')]);
  const body = { topics: topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) };
  const answers = await Promise.all(
    brokers.map(async (b) => {
      try {
        const r = await kafkaRequest({ host: b.host, port: b.port, apiKey: DESCRIBE_LOG_DIRS_KEY, apiVersion: DESCRIBE_LOG_DIRS_VERSION, request: DescribeLogDirsRequestCodec, body, response: DescribeLogDirsResponseCodec, timeoutMs });
        const lags = new Map<string, number>();
        for (const dir of r.results) for (const t of dir.topics) for (const p of t.partitions) if (!p.isFutureKey) lags.set(partitionKey(t.name, p.partitionIndex), p.offsetLag);
        return [b.nodeId, lags] as const;
      } catch {
        return null;
      }
    }),
  );
  return new Map(answers.filter((a) => a !== null));
}
