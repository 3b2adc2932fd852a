/**
 * The KafkaJS workload of the fault suite (issue 15): one Node process (run with
 * `node --import tsx`) with an idempotent KafkaJS 2.2.4 producer (`idempotent: true`,
 * acks -1) and a consumer-group member, both writing history (history-writer.ts; format:
 * test/chaos/README.md, "Workloads").
 *
 *   kafkajs-workload.ts --bootstrap B --topic T --partitions N --rate R --seconds S
 *                       --name NAME --history PATH --seed SEED --group G [--stop-file P]
 *                       [--no-consumer] [--no-producer]
 *
 * Producer (process `<name>-producer`): values "<name>-producer-<seq>" (seq zero-padded to
 * 6 digits) to random partitions (the runtime's seeded Random) at about R records a second, one record
 * per `send` and one send at a time (KafkaJS's idempotent producer keeps one sequence per
 * partition and is not safe with concurrent sends). invoke before `send`; ok with the
 * partition's `baseOffset`; fail/info by kafkajs-classify.ts. After an `info` the producer is
 * replaced by a new one (a new producer id): KafkaJS only advances its sequence numbers on
 * success, so the next record would reuse the sequence of one that may have been appended,
 * and the broker would answer it as a duplicate of that one, a write loss made by the client.
 * Retries are bounded (RETRIES, backoff up to 2 s) so every send completes in bounded time.
 *
 * Consumer (process `<name>-consumer`): `eachBatch`, no auto-commit, one poll entry per
 * batch, then a synchronous commitOffsets of the batch's last offset + 1 (invoke, then ok or
 * info: a commit error is indeterminate). KafkaJS has no revoke callback and exposes no
 * generation id: at each GROUP_JOIN the previous assignment (if any) is logged as revoke,
 * then the new one as assign with a local generation counter (1 for the first join); leaving
 * at stop logs a revoke. Joining is retried until stop (the cluster may be in a fault), and
 * the consumer restarts after any crash (`restartOnFailure`).
 *
 * Stop: after S seconds, on SIGTERM/SIGINT or when the stop file exists. The send in flight
 * gets STOP_WAIT_MS to answer (else `info`); consumer and producer disconnect (bounded).
 * Prints one JSON summary line on stdout.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { createRandom } from '@samsa/bench';
import type { Consumer, EachBatchPayload, Kafka as KafkaClient, Producer } from 'kafkajs';
import { HistoryWriter } from './history-writer.ts';
import { classifyKafkaJsError } from './kafkajs-classify.ts';

const RETRIES = 8;
const STOP_WAIT_MS = 10_000;
const SEND_TIMEOUT_MS = 30_000;
const PRODUCERS_MAX = 50;
const SLEEP_SLICE_MS = 50;

interface Options {
  readonly bootstrap: string;
  readonly topic: string;
  readonly partitions: number;
  readonly rate: number;
  readonly seconds: number;
  readonly name: string;
  readonly history: string;
  readonly seed: number;
  readonly group: string;
  readonly stopFile: string | undefined;
  readonly consumer: boolean;
  readonly producer: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string' }, topic: { type: 'string' }, partitions: { type: 'string' }, rate: { type: 'string' },
      seconds: { type: 'string' }, name: { type: 'string' }, history: { type: 'string' }, seed: { type: 'string' },
      group: { type: 'string' }, 'stop-file': { type: 'string' }, 'no-consumer': { type: 'boolean' }, 'no-producer': { type: 'boolean' },
    },
  });
  const need = (key: 'bootstrap' | 'topic' | 'name' | 'history' | 'group'): string => {
    const v = values[key];
    if (v === undefined || v === '') throw new Error(`--${key} is required`);
    return v;
  };
  const num = (key: 'partitions' | 'rate' | 'seconds' | 'seed', min: number): number => {
    const v = Number(values[key]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${key} must be a number >= ${min}, got ${values[key]}`);
    return v;
  };
  return {
    bootstrap: need('bootstrap'), topic: need('topic'), partitions: Math.floor(num('partitions', 1)), rate: num('rate', 0.001),
    seconds: num('seconds', 0.001), name: need('name'), history: need('history'), seed: Math.floor(num('seed', 0)),
    group: need('group'), stopFile: values['stop-file'], consumer: values['no-consumer'] !== true, producer: values['no-producer'] !== true,
  };
}


const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves the promise's value, or `undefined` after `ms` (the promise keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run bound: `seconds` of wall time, SIGTERM/SIGINT, or an existing stop file. */
class Stop {
  readonly #deadlineMs: number;
  readonly stopFile: string | undefined;
  signalled: string | undefined;
  constructor(seconds: number, stopFile: string | undefined) {
    this.#deadlineMs = performance.now() + seconds * 1000;
    this.stopFile = stopFile;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (this.signalled = signal));
  }
  requested(): boolean {
    return this.signalled !== undefined || performance.now() >= this.#deadlineMs || (this.stopFile !== undefined && existsSync(this.stopFile));
  }
  reason(): string {
    if (this.signalled !== undefined) return this.signalled;
    return this.stopFile !== undefined && existsSync(this.stopFile) ? 'stop-file' : 'seconds';
  }
}

const counts = { invoke: 0, ok: 0, fail: 0, info: 0, producers: 0, polls: 0, records: 0, commitOk: 0, commitInfo: 0, joins: 0 };

async function newProducer(kafka: KafkaClient, stop: Stop): Promise<Producer | undefined> {
  while (!stop.requested() && counts.producers < PRODUCERS_MAX) {
    counts.producers += 1;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: RETRIES, initialRetryTime: 100, maxRetryTime: 2000 } });
    try {
      await producer.connect();
      return producer;
    } catch {
      await within(producer.disconnect(), 2000).catch(() => {});
      await sleep(200);
    }
  }
  return undefined;
}

async function runProducer(kafka: KafkaClient, options: Options, history: HistoryWriter, stop: Stop): Promise<void> {
  const actor = `${options.name}-producer`;
  const seeded = createRandom(options.seed);
  const random = (): number => seeded.next();
  const intervalMs = 1000 / options.rate;
  let producer = await newProducer(kafka, stop);
  let nextAtMs = performance.now();
  for (let seq = 0; producer !== undefined && !stop.requested(); seq++) {
    while (performance.now() < nextAtMs && !stop.requested()) await sleep(Math.min(SLEEP_SLICE_MS, nextAtMs - performance.now()));
    if (stop.requested()) break;
    const partition = Math.floor(random() * options.partitions);
    const value = `${actor}-${String(seq).padStart(6, '0')}`;
    history.write('invoke', 'send', actor, { partition, value });
    counts.invoke += 1;
    const sent = producer
      .send({ topic: options.topic, acks: -1, timeout: SEND_TIMEOUT_MS, messages: [{ value, partition }] })
      .then((result) => ({ result, error: undefined }), (error: unknown) => ({ result: undefined, error }));
    // Wait for the answer; after a stop request only STOP_WAIT_MS more.
    let answer = await within(sent, SLEEP_SLICE_MS * 4);
    while (answer === undefined && !stop.requested()) answer = await within(sent, SLEEP_SLICE_MS * 4);
    if (answer === undefined) answer = await within(sent, STOP_WAIT_MS);
    if (answer === undefined) {
      counts.info += 1;
      history.write('info', 'send', actor, { partition, value, error: 'no answer before exit' });
      break;
    }
    if (answer.error === undefined) {
      const meta = answer.result?.find((r) => r.partition === partition);
      const offset = meta?.baseOffset !== undefined ? Number(meta.baseOffset) : null;
      counts.ok += 1;
      history.write('ok', 'send', actor, { partition, value, offset: offset !== null && offset >= 0 ? offset : null });
    } else {
      const { kind, error } = classifyKafkaJsError(answer.error);
      counts[kind] += 1;
      history.write(kind, 'send', actor, { partition, value, error });
      if (kind === 'info') {
        await within(producer.disconnect(), 5000).catch(() => {});
        producer = await newProducer(kafka, stop);
      }
    }
    nextAtMs = Math.max(nextAtMs + intervalMs, performance.now() - 1000);
  }
  if (producer !== undefined) await within(producer.disconnect(), 5000).catch(() => {});
}

async function runConsumer(kafka: KafkaClient, options: Options, history: HistoryWriter, stop: Stop): Promise<void> {
  const actor = `${options.name}-consumer`;
  const consumer: Consumer = kafka.consumer({ groupId: options.group, sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100, retry: { retries: RETRIES, initialRetryTime: 100, maxRetryTime: 2000, restartOnFailure: async () => true } });
  let generation = 0;
  let assigned: number[] | undefined;
  const member = (): { member: string; generation: number } => ({ member: actor, generation });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    if (assigned !== undefined) history.write('ok', 'revoke', actor, { ...member(), partitions: assigned });
    generation += 1;
    counts.joins += 1;
    assigned = [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b);
    history.write('ok', 'assign', actor, { ...member(), partitions: assigned });
  });
  const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> => {
    if (batch.messages.length === 0) return;
    const records = batch.messages.map((m) => [batch.partition, Number(m.offset), m.value === null ? null : m.value.toString('utf8')]);
    counts.polls += 1;
    counts.records += records.length;
    history.write('ok', 'poll', actor, { ...member(), records });
    const last = batch.messages[batch.messages.length - 1]!.offset;
    resolveOffset(last);
    const offsets = [[batch.partition, Number(last) + 1]];
    const entry = { offsets, generation };
    history.write('invoke', 'commit', actor, entry);
    try {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
      counts.commitOk += 1;
      history.write('ok', 'commit', actor, entry);
    } catch (error) {
      counts.commitInfo += 1;
      history.write('info', 'commit', actor, { ...entry, error: classifyKafkaJsError(error).error });
    }
    await heartbeat().catch(() => {});
  };
  // The cluster may be in a fault when the workload starts: retry joining until stopped.
  for (;;) {
    if (stop.requested()) return;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      break;
    } catch {
      await within(consumer.disconnect(), 5000).catch(() => {});
      await sleep(500);
    }
  }
  while (!stop.requested()) await sleep(SLEEP_SLICE_MS);
  await within(consumer.disconnect(), STOP_WAIT_MS).catch(() => {});
  if (assigned !== undefined) history.write('ok', 'revoke', actor, { ...member(), partitions: assigned });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({
    clientId: options.name, brokers: options.bootstrap.split(','), logLevel: logLevel.NOTHING,
    connectionTimeout: 3000, requestTimeout: 10_000, retry: { retries: RETRIES, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const history = new HistoryWriter(options.history);
  const stop = new Stop(options.seconds, options.stopFile);
  const parts: Array<Promise<void>> = [];
  if (options.producer) parts.push(runProducer(kafka, options, history, stop));
  if (options.consumer) parts.push(runConsumer(kafka, options, history, stop));
  const results = await Promise.allSettled(parts);
  history.close();
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  // Exit explicitly: a KafkaJS client whose disconnect timed out keeps timers and sockets alive.
  process.stdout.write(`${JSON.stringify({ t: 'report', counts, stop: stop.reason(), errors })}\n`, () => process.exit(errors.length > 0 ? 1 : 0));
}

await main();
