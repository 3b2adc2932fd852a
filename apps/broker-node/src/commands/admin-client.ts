/**
 * What the admin-style commands (`topics`, `groups`) share: a lazily loaded Kafka admin
 * client (so `--help` never loads KafkaJS), the `--bootstrap` option and its flags, and
 * the wording of a failed Kafka call (exit 1).
 */
import type { Command } from 'commander';
import type { Admin } from 'kafkajs';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { ClientOptions } from '../client/kafka-client.ts';

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
