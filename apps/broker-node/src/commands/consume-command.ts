/**
 * `samsa consume`: print records of a topic, one per line, without a consumer group.
 *
 * Start position per partition: `--from-beginning` (log start), `--offset N`,
 * `--timestamp MS` (first offset whose timestamp ≥ MS, via ListOffsets), default the end.
 * Without `--follow` it reads up to the high watermark seen at start and exits 0; with
 * `--follow` it keeps long-polling until SIGINT. `--max-messages` bounds the output.
 *
 * `--group G` reads as a member of consumer group G instead (KafkaJS's consumer: join,
 * assignment, commits of what was printed): it starts at the group's committed offsets
 * (else the end, or the log start with `--from-beginning`) and, without `--follow`,
 * leaves the group once nothing new came for `--idle-ms` after joining. Partition and
 * offset flags and `--max-messages` do not combine with it (the group decides positions,
 * and KafkaJS would commit past a cut-off inside a batch).
 */
import { Command } from 'commander';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { FetchedRecord } from '../client/kafka-client.ts';
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

/** Upper bound on Fetch round trips that return nothing before a non-follow read gives up. */
const EMPTY_FETCHES_MAX = 50;

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
  const { PartitionReader, withAdmin } = await import('../client/kafka-client.ts');
  const bootstrap = bootstrapFrom(o);
  const positions = await withAdmin({ bootstrap }, async (admin) => {
    const topics = await admin.listTopics();
    if (!topics.includes(o.topic)) throw new CliError(`topic "${o.topic}" does not exist; list topics with \`samsa topics list\``, ExitCode.failure);
    const offsets = await admin.fetchTopicOffsets(o.topic);
    const byTime = o.timestamp !== undefined ? await admin.fetchTopicOffsetsByTimestamp(o.topic, o.timestamp) : [];
    const wanted = o.partition?.map(intFlag('--partition', 0, 1_000_000));
    for (const p of wanted ?? []) {
      if (!offsets.some((x) => x.partition === p)) throw new CliError(`partition ${p} does not exist in "${o.topic}" (it has ${offsets.length})`, ExitCode.usage);
    }
    return offsets
      .filter((x) => wanted === undefined || wanted.includes(x.partition))
      .sort((a, b) => a.partition - b.partition)
      .map((x) => {
        const low = Number(x.low);
        const high = Number(x.high);
        let next = high;
        if (o.fromBeginning) next = low;
        else if (o.offset !== undefined) next = Math.max(low, o.offset);
        else if (o.timestamp !== undefined) {
          const t = byTime.find((y) => y.partition === x.partition);
          next = t === undefined || Number(t.offset) < 0 ? high : Number(t.offset);
        }
        return { partition: x.partition, next, endAtStart: high };
      });
  });

  const reader = new PartitionReader({ bootstrap });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  try {
    await reader.connect(o.topic);
    let emptyRounds = 0;
    while (!stopping) {
      const pending = o.follow ? positions : positions.filter((p) => p.next < p.endAtStart);
      if (pending.length === 0) break;
      let gotAny = false;
      for (const pos of pending) {
        const waitMs = o.follow && pending.length === 1 ? 500 : 50;
        const { records } = await reader.fetch(o.topic, pos.partition, pos.next, waitMs);
        for (const r of records) {
          if (!o.follow && Number(r.offset) >= pos.endAtStart) break;
          await write(format(r, pos.partition, o));
          pos.next = Number(r.offset) + 1;
          printed++;
          gotAny = true;
          if (o.maxMessages !== undefined && printed >= o.maxMessages) return;
        }
        if (stopping) break;
      }
      emptyRounds = gotAny ? 0 : emptyRounds + 1;
      if (!o.follow && emptyRounds >= EMPTY_FETCHES_MAX) {
        throw new CliError(`gave up: no records returned below the high watermark after ${EMPTY_FETCHES_MAX} fetches`, ExitCode.failure);
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await reader.close();
    process.stderr.write(`consumed ${printed} record(s) from "${o.topic}"\n`);
  }
}

async function consumeGroup(o: ConsumeOptions, groupId: string): Promise<void> {
  const { createKafka, connectOrExplain } = await import('../client/kafka-client.ts');
  const bootstrap = bootstrapFrom(o);
  const consumer = createKafka({ bootstrap }).consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1_000 });
  await connectOrExplain(() => consumer.connect(), bootstrap);
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  let joinedAt: number | null = null;
  let lastRecordAt = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now();
  });
  try {
    await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning === true });
    await consumer.run({
      autoCommitInterval: 500,
      eachMessage: async ({ partition, message }) => {
        await write(format(message, partition, o));
        printed++;
        lastRecordAt = Date.now();
      },
    });
    const startedAt = Date.now();
    // Bounded: ends on a signal, after --idle-ms without records (no --follow), or when
    // no assignment came within GROUP_JOIN_TIMEOUT_MS.
    while (!stopping) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = Date.now();
      if (joinedAt === null) {
        if (now - startedAt > GROUP_JOIN_TIMEOUT_MS) throw new CliError(`could not join group "${groupId}" within ${GROUP_JOIN_TIMEOUT_MS} ms`, ExitCode.failure);
        continue;
      }
      if (!o.follow && now - Math.max(joinedAt, lastRecordAt) > o.idleMs) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // Stopping commits the offsets of every record eachMessage finished, then leaves the group.
    await consumer.disconnect();
    process.stderr.write(`consumed ${printed} record(s) from "${o.topic}" as group "${groupId}"\n`);
  }
}

function format(r: Pick<FetchedRecord, 'offset' | 'key' | 'value'>, partition: number, o: ConsumeOptions): string {
  const value = r.value === null ? '' : r.value.toString('utf8');
  const keyed = o.printKey ? `${r.key === null ? '' : r.key.toString('utf8')}${o.keySeparator}${value}` : value;
  return `${o.printOffset ? `${partition}:${r.offset}\t` : ''}${keyed}\n`;
}

function write(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
