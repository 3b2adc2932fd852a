/**
 * How the CLI's `topics`, `produce`, `consume` and `groups` commands reach a broker:
 * @samsa/client on Node — `nodeRuntime()` gives the node:net transport, the system clock
 * and the random source the client is built on.
 *
 * The client connects lazily, so every command first asks the bootstrap brokers for
 * Metadata ({@link connectOrExplain}): a broker that is not there fails the command at
 * once (exit 1) with a hint on starting one, instead of after a send's or a call's
 * timeout. Connects give up after CONNECT_TIMEOUT_MS so a dead address fails fast.
 */
import { Admin, Consumer, Producer } from '@samsa/client';
import type { Acks, ConsumerOptions } from '@samsa/client';
import { CliError, ExitCode } from '@samsa/host/cli';
import { nodeRuntime } from '@samsa/runtime/node';

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/** A dead or unroutable broker address costs at most this per attempt. */
export const CONNECT_TIMEOUT_MS = 3_000;
const CLIENT_ID_DEFAULT = 'samsa-cli';

export interface ClientOptions {
  /** `host:port[,host:port…]`. */
  readonly bootstrap: string;
  readonly clientId?: string;
}

/** The compression name the producer takes; throws a CliError (exit 2) for any other. */
export function compressionFor(name: string): CompressionName {
  const found = COMPRESSION_NAMES.find((n) => n === name);
  if (found === undefined) throw new CliError(`--compression must be one of ${COMPRESSION_NAMES.join(', ')} (got "${name}")`, ExitCode.usage);
  return found;
}

/** What every client takes: the Node runtime, the bootstrap list, the client id, the connect bound. */
function baseOptions(options: ClientOptions) {
  const { transport, clock, random } = nodeRuntime();
  return {
    transport,
    clock,
    random,
    bootstrap: options.bootstrap.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    clientId: options.clientId ?? CLIENT_ID_DEFAULT,
    connection: { connectTimeoutMs: CONNECT_TIMEOUT_MS },
  };
}

/** Runs `connect`; a failure becomes exit 1 saying how to start a broker. */
export async function connectOrExplain(connect: () => Promise<void>, bootstrap: string): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw new CliError(
      `could not reach a broker at ${bootstrap}: ${(error as Error).message}. ` +
        'Is it running? Start one with `samsa broker` (or `npm start`), or pass --bootstrap host:port.',
      ExitCode.failure,
    );
  }
}

/** Runs `body` with an admin client that reached the cluster, and always closes it. */
export async function withAdmin<T>(options: ClientOptions, body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(baseOptions(options));
  try {
    await connectOrExplain(() => admin.cluster.refreshMetadata(), options.bootstrap);
    return await body(admin);
  } finally {
    await admin.close();
  }
}

export interface ProducerSettings {
  readonly acks: Acks;
  readonly idempotent: boolean;
  readonly compression: CompressionName;
}

/** A producer that reached the cluster. Topics are auto-created if the broker allows it, as with Kafka's console producer. */
export async function connectedProducer(options: ClientOptions, settings: ProducerSettings): Promise<Producer> {
  const producer = new Producer({ ...baseOptions(options), ...settings, allowAutoTopicCreation: true });
  await connectOrExplain(() => producer.cluster.refreshMetadata(), options.bootstrap).catch(async (error: unknown) => {
    await producer.close();
    throw error;
  });
  return producer;
}

/** A consumer (assign-only, or of a group with `groupId`) that reached the cluster. */
export async function connectedConsumer(options: ClientOptions, settings: Omit<ConsumerOptions, 'transport' | 'clock' | 'bootstrap'>): Promise<Consumer> {
  const consumer = new Consumer({ ...baseOptions(options), ...settings });
  await connectOrExplain(() => consumer.cluster.refreshMetadata(), options.bootstrap).catch(async (error: unknown) => {
    await consumer.close();
    throw error;
  });
  return consumer;
}
