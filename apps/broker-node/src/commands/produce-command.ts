/**
 * `samsa produce`: one record per stdin line.
 *
 * With `--key-separator SEP` each line is split at the first SEP into key and value (a
 * line without SEP gets a null key). Lines are sent in batches of at most `--batch-size`
 * records; a batch is sent when full or at end of input, so memory stays bounded no
 * matter how long stdin is. Exit 0 once every record is acknowledged (or sent, acks=0).
 */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { ProducerRecord } from '@samsa/client';
import { CliError, ExitCode } from '@samsa/host/cli';
import { bootstrapFrom, intFlag } from './parse-flags.ts';

/** How long the first send waits for the topic to be in the metadata (an auto-created one needs a leader first). */
const TOPIC_WAIT_MS_MAX = 5_000;

interface ProduceOptions {
  bootstrap?: string;
  topic: string;
  keySeparator?: string;
  acks: string;
  compression: string;
  partition?: number;
  batchSize: number;
  idempotent?: boolean;
}

export function produceCommand(): Command {
  return new Command('produce')
    .description('produce stdin lines as records (one line = one record)')
    .requiredOption('-t, --topic <name>', 'topic to write to')
    .option('-b, --bootstrap <host:port>', 'broker to talk to (env SAMSA_BOOTSTRAP)')
    .option('-k, --key-separator <sep>', 'split each line at the first <sep> into key and value')
    .option('-a, --acks <acks>', 'acks: 0 (none), 1 (leader), -1 or all (all in-sync replicas)', '-1')
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
    .option('-p, --partition <n>', 'write every record to this partition (default: by key hash)', intFlag('--partition', 0, 1_000_000))
    .option('--batch-size <n>', 'records per request', intFlag('--batch-size', 1, 100_000), 1_000)
    .option('--idempotent', 'use an idempotent producer (needs --acks -1)')
    .addHelpText('after', '\nExample:\n  printf "k1:hello\\nk2:world\\n" | samsa produce -t events -k :\n')
    .action(async (o: ProduceOptions) => {
      const { compressionFor, connectedProducer } = await import('../client/cli-client.ts');
      const acks = parseAcks(o.acks);
      const compression = compressionFor(o.compression);
      if (o.idempotent && acks !== -1) throw new CliError('--idempotent needs --acks -1 (all)', ExitCode.usage);
      const producer = await connectedProducer({ bootstrap: bootstrapFrom(o) }, { acks, idempotent: o.idempotent === true, compression });
      const utf8 = new TextEncoder();
      let total = 0;
      let batch: ProducerRecord[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const messages = batch;
        batch = [];
        try {
          // The first send waits for the topic's metadata at most TOPIC_WAIT_MS_MAX, not the
          // producer's 60 s maxBlockMs: a topic that does not exist fails fast.
          if (total === 0) await producer.cluster.topic(o.topic, { deadlineMs: producer.cluster.clock.monotonicMs() + TOPIC_WAIT_MS_MAX });
          await producer.send({ topic: o.topic, messages });
        } catch (error) {
          throw new CliError(`producing to "${o.topic}" failed after ${total} record(s): ${(error as Error).message}. Does the topic exist? (\`samsa topics list\`)`, ExitCode.failure);
        }
        total += messages.length;
      };
      try {
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
        for await (const line of lines) {
          const { key, value } = splitLine(line, o.keySeparator);
          batch.push({ key: key === null ? null : utf8.encode(key), value: utf8.encode(value), ...(o.partition !== undefined ? { partition: o.partition } : {}) });
          if (batch.length >= o.batchSize) await flush();
        }
        await flush();
      } finally {
        await producer.close();
      }
      process.stderr.write(`produced ${total} record(s) to "${o.topic}"\n`);
    });
}

function parseAcks(text: string): -1 | 0 | 1 {
  if (text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw new CliError(`--acks must be 0, 1, -1 or all (got "${text}")`, ExitCode.usage);
}

function splitLine(line: string, separator: string | undefined): { key: string | null; value: string } {
  if (separator === undefined || separator === '') return { key: null, value: line };
  const i = line.indexOf(separator);
  if (i < 0) return { key: null, value: line };
  return { key: line.slice(0, i), value: line.slice(i + separator.length) };
}
