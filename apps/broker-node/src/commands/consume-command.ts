/**
 * `samsa consume`: print records of a topic, one per line, without a consumer group.
 *
 * Start position per partition: `--from-beginning` (log start), `--offset N`,
 * `--timestamp MS` (first offset whose timestamp ≥ MS, via ListOffsets), default the end.
 * Without `--follow` it reads up to the high watermark seen at start and exits 0; with
 * `--follow` it keeps long-polling until SIGINT. `--max-messages` bounds the output.
 *
 * `--group G` reads as a member of consumer group G instead (join, assignment, commits of
 * what was printed): it starts at the group's committed offsets (else the end, or the log
 * start with `--from-beginning`) and, without `--follow`, leaves the group once nothing new
 * came for `--idle-ms` after joining. Partition and offset flags and `--max-messages` do not
 * combine with it (the group decides positions, and a commit counts whole batches, so a
 * cut-off inside one would commit past what was printed).
 *
 * Both read through @samsa/client's Consumer: without a group it is assigned the partitions
 * at their start offsets (assign-only mode, no group APIs), start offsets and high
 * watermarks coming from the Admin's ListOffsets (topic-offsets.ts); with one it subscribes.
 */
import { Command } from 'commander';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { Admin, ConsumerBatch, ConsumerRecord } from '@samsa/client';
import { explainKafkaError } from './admin-client.ts';
import { bootstrapFrom, collect, intFlag } from './parse-flags.ts';

interface ConsumeOptions {
  bootstrap?: string;
  topic: string;
  partition?: string[];
  fromBeginning?: boolean;
  offset?: number;
  timestamp?: number;
  follow?: boolean;
  maxMessages?: number;
  printKey?: boolean;
  printOffset?: boolean;
  keySeparator: string;
  group?: string;
  idleMs: number;
}

/** How long a group member waits for its first assignment before giving up. */
const GROUP_JOIN_TIMEOUT_MS = 30_000;

/** A read without --follow gives up when no record below the start's high watermark comes for this long. */
const STALL_MS_MAX = 10_000;

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print records of a topic (without a consumer group unless --group)')
    .requiredOption('-t, --topic <name>', 'topic to read')
    .option('-b, --bootstrap <host:port>', 'broker to talk to (env SAMSA_BOOTSTRAP)')
    .option('-p, --partition <n>', 'read only this partition, repeatable (default: all)', collect)
    .option('--from-beginning', 'start at the log start offset')
    .option('-o, --offset <n>', 'start at this offset', intFlag('--offset', 0, Number.MAX_SAFE_INTEGER))
    .option('--timestamp <ms>', 'start at the first record with timestamp >= ms (epoch millis)', intFlag('--timestamp', 0, Number.MAX_SAFE_INTEGER))
    .option('-f, --follow', 'keep waiting for new records (stop with Ctrl-C)')
    .option('-n, --max-messages <n>', 'exit after this many records', intFlag('--max-messages', 1, Number.MAX_SAFE_INTEGER))
    .option('--print-key', 'print key<separator>value')
    .option('--print-offset', 'prefix each line with partition:offset<TAB>')
    .option('--key-separator <sep>', 'separator for --print-key', '\t')
    .option('-g, --group <id>', 'read as a member of this consumer group (commits what it printed)')
    .option('--idle-ms <ms>', 'with --group and without --follow: leave after this long with no new record', intFlag('--idle-ms', 100, 3_600_000), 3000)
    .action(async (o: ConsumeOptions) => {
      const chosen = [o.fromBeginning === true, o.offset !== undefined, o.timestamp !== undefined].filter(Boolean).length;
      if (chosen > 1) throw new CliError('pick one of --from-beginning, --offset, --timestamp', ExitCode.usage);
      if (o.group !== undefined) {
        if (o.partition !== undefined || o.offset !== undefined || o.timestamp !== undefined || o.maxMessages !== undefined) {
          throw new CliError('--group does not combine with --partition, --offset, --timestamp or --max-messages (the group decides positions)', ExitCode.usage);
        }
        await consumeGroup(o, o.group);
        return;
      }
      await consume(o);
    });
}

async function consume(o: ConsumeOptions): Promise<void> {
  const [{ connectedConsumer, withAdmin }, { KafkaAbortError }] = await Promise.all([import('../client/cli-client.ts'), import('@samsa/client')]);
  const bootstrap = bootstrapFrom(o);
  const positions = await withAdmin({ bootstrap }, (admin) => startPositions(admin, o)).catch((error: unknown) => explainKafkaError(`reading the offsets of "${o.topic}"`, error));
  // Without --follow, only partitions with records below the start's high watermark are read.
  const reading = o.follow ? positions : positions.filter((p) => p.next < p.endAtStart);
  if (reading.length === 0) {
    process.stderr.write(`consumed 0 record(s) from "${o.topic}"\n`);
    return;
  }

  const consumer = await connectedConsumer({ bootstrap }, { autoOffsetReset: 'latest' });
  const stopping = new AbortController();
  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  try {
    consumer.assign(reading.map((p) => ({ topic: o.topic, partition: p.partition, offset: BigInt(p.next) })));
    while (!stopping.signal.aborted) {
      if (!o.follow && reading.every((p) => p.next >= p.endAtStart)) break;
      const signal = o.follow ? stopping.signal : AbortSignal.any([stopping.signal, AbortSignal.timeout(STALL_MS_MAX)]);
      let batch: ConsumerBatch;
      try {
        batch = await consumer.next({ signal });
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (error instanceof KafkaAbortError) throw new CliError(`gave up: no records came below the high watermark for ${STALL_MS_MAX} ms`, ExitCode.failure);
        return explainKafkaError(`consuming from "${o.topic}"`, error);
      }
      const pos = reading.find((p) => p.partition === batch.partition);
      if (pos === undefined) continue;
      let cut = false;
      for (const r of batch.records) {
        if (!o.follow && Number(r.offset) >= pos.endAtStart) {
          cut = true;
          break;
        }
        await write(format(r, o));
        pos.next = Number(r.offset) + 1;
        printed++;
        if (o.maxMessages !== undefined && printed >= o.maxMessages) return;
      }
      pos.next = cut ? Math.max(pos.next, pos.endAtStart) : Math.max(pos.next, Number(batch.nextOffset));
      // Read up to where it started: stop fetching it.
      if (!o.follow && pos.next >= pos.endAtStart) consumer.pause([{ topic: o.topic, partition: pos.partition }]);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await consumer.close();
    process.stderr.write(`consumed ${printed} record(s) from "${o.topic}"\n`);
  }
}

/** Where each partition to read starts, and its high watermark when the command started. */
async function startPositions(admin: Admin, o: ConsumeOptions): Promise<Array<{ partition: number; next: number; endAtStart: number }>> {
  const { topicOffsets } = await import('./topic-offsets.ts');
  const topics = await admin.listTopics({ includeInternal: true });
  if (!topics.includes(o.topic)) throw new CliError(`topic "${o.topic}" does not exist; list topics with \`samsa topics list\``, ExitCode.failure);
  const offsets = await topicOffsets(admin, o.topic, o.timestamp);
  const wanted = o.partition?.map(intFlag('--partition', 0, 1_000_000));
  for (const p of wanted ?? []) {
    if (!offsets.some((x) => x.partition === p)) throw new CliError(`partition ${p} does not exist in "${o.topic}" (it has ${offsets.length})`, ExitCode.usage);
  }
  return offsets
    .filter((x) => wanted === undefined || wanted.includes(x.partition))
    .map((x) => {
      let next = x.high;
      if (o.fromBeginning) next = x.low;
      else if (o.offset !== undefined) next = Math.max(x.low, o.offset);
      else if (x.atTimestamp !== undefined) next = x.atTimestamp < 0 ? x.high : x.atTimestamp;
      return { partition: x.partition, next, endAtStart: x.high };
    });
}

async function consumeGroup(o: ConsumeOptions, groupId: string): Promise<void> {
  const { connectedConsumer } = await import('../client/cli-client.ts');
  const bootstrap = bootstrapFrom(o);
  const consumer = await connectedConsumer(
    { bootstrap },
    {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      autoCommitIntervalMs: 500,
      // Only where the group has committed nothing: the log start with --from-beginning, else the end.
      autoOffsetReset: o.fromBeginning === true ? 'earliest' : 'latest',
    },
  );
  const stopping = new AbortController();
  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  let joinedAt: number | null = null;
  let lastRecordAt = 0;
  let failed: { error: unknown } | null = null;
  try {
    consumer.subscribe([o.topic], {
      onPartitionsAssigned: () => {
        joinedAt ??= Date.now();
      },
    });
    // Each batch counts as processed once every record of it is printed, so what is
    // committed (every 500 ms and on close) is exactly what was printed.
    const running = consumer.run({
      signal: stopping.signal,
      eachBatch: async (batch) => {
        for (const r of batch.records) await write(format(r, o));
        printed += batch.records.length;
        lastRecordAt = Date.now();
      },
    });
    running.catch((error: unknown) => (failed = { error }));
    const startedAt = Date.now();
    // Bounded: ends on a signal, after --idle-ms without records (no --follow), when no
    // assignment came within GROUP_JOIN_TIMEOUT_MS, or on the consumer's error.
    while (!stopping.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (failed !== null) explainKafkaError(`consuming from "${o.topic}" as group "${groupId}"`, (failed as { error: unknown }).error);
      const now = Date.now();
      if (joinedAt === null && consumer.groupState?.state === 'stable') joinedAt = now;
      if (joinedAt === null) {
        if (now - startedAt > GROUP_JOIN_TIMEOUT_MS) throw new CliError(`could not join group "${groupId}" within ${GROUP_JOIN_TIMEOUT_MS} ms`, ExitCode.failure);
        continue;
      }
      if (!o.follow && now - Math.max(joinedAt, lastRecordAt) > o.idleMs) break;
    }
    stopping.abort();
    await running.catch(() => {});
  } finally {
    stopping.abort();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // Closing commits the offsets of every batch eachBatch finished, then leaves the group.
    await consumer.close();
    process.stderr.write(`consumed ${printed} record(s) from "${o.topic}" as group "${groupId}"\n`);
  }
}

const utf8 = new TextDecoder();

function format(r: Pick<ConsumerRecord, 'partition' | 'offset' | 'key' | 'value'>, o: ConsumeOptions): string {
  const value = r.value === null ? '' : utf8.decode(r.value);
  const keyed = o.printKey ? `${r.key === null ? '' : utf8.decode(r.key)}${o.keySeparator}${value}` : value;
  return `${o.printOffset ? `${r.partition}:${r.offset}\t` : ''}${keyed}\n`;
}

function write(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
