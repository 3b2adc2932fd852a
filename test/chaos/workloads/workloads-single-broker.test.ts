/**
 * The fault suite's workloads (issue 15) against one Samsa broker, no faults: the librdkafka
 * producer and consumer-group member, and the KafkaJS workload, each for a few seconds,
 * then the final read; smoke-check.ts checks the histories against it (every ok send once
 * at its acknowledged offset, every polled record in the log, invokes paired with
 * completions, all sends and commits ok). SIGTERM mid-run: each workload exits 0 having
 * completed every invoke, and its history parses line by line. Broker SIGKILLed under the
 * workloads: SIGTERM still ends them within the stop bound with every invoke completed
 * (sends cut off `info`, never `fail`), and after the broker's restart every ok send is in
 * the final read at its offset.
 *
 * Every process is stopped in afterAll/finally, also on failure; every wait is bounded.
 * Figures (records, polls, durations) are printed as one JSON line per test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, pollUntil, startBroker, tempDir } from '@samsa/bench';
import type { BrokerProcess } from '@samsa/bench';
import { checkHistory, readFinal, readHistory } from './smoke-check.ts';
import type { HistoryEntry } from './smoke-check.ts';
import { finalRead, startWorkload } from './workload-process.ts';
import type { Workload, WorkloadOptions } from './workload-process.ts';

const PARTITIONS = 3;
const RATE_PER_S = 100;
const PRODUCE_SECONDS = 4;
const CONSUMER_SECONDS = 90;
const CATCH_UP_TIMEOUT_MS = 40_000;
const EXIT_TIMEOUT_MS = 40_000;
/** Under startWorkload's SIGKILL bound (30 s): the workloads end by themselves. */
const STOP_BOUND_MS = 28_000;

let dir: { path: string; remove: () => void };
let broker: BrokerProcess;
const running: Workload[] = [];

beforeAll(async () => {
  dir = tempDir('chaos-workloads');
  broker = await startBroker({ dataDir: join(dir.path, 'broker') });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.kill()));
});
afterAll(async () => {
  await broker?.stop();
  dir?.remove();
});

function start(options: Omit<WorkloadOptions, 'bootstrap' | 'historyPath' | 'partitions' | 'seed'> & { seed?: number }): { workload: Workload; historyPath: string } {
  const historyPath = join(dir.path, `${options.name}.jsonl`);
  const workload = startWorkload({ bootstrap: broker.bootstrap, partitions: PARTITIONS, seed: 1, historyPath, ...options });
  running.push(workload);
  return { workload, historyPath };
}

function lines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

/** Resolves the exit, failing past EXIT_TIMEOUT_MS. */
async function exitOf(workload: Workload, what: string) {
  await pollUntil(`${what} to exit`, EXIT_TIMEOUT_MS, () => !workload.running());
  return workload.exited;
}

function okSends(history: readonly HistoryEntry[]): Set<string> {
  return new Set(history.filter((e) => e.f === 'send' && e.type === 'ok').map((e) => e.value!));
}

function polled(path: string): Set<string> {
  return new Set(readHistory(path).flatMap((e) => (e.f === 'poll' ? (e.records ?? []).map((r) => r[2] ?? '') : [])));
}

async function finalOf(topic: string): Promise<ReturnType<typeof readFinal>> {
  const path = join(dir.path, `${topic}-final.json`);
  await finalRead(broker.bootstrap, topic, path, { partitions: PARTITIONS });
  return readFinal(path);
}

describe('workloads against one broker', () => {
  it('librdkafka producer + consumer group member: histories match the final read', async () => {
    const topic = 'py-clean';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    const started = performance.now();
    const consumer = start({ kind: 'py-consumer', topic, rate: 1, seconds: CONSUMER_SECONDS, name: 'py-consumer-1' });
    const producer = start({ kind: 'py-producer', topic, rate: RATE_PER_S, seconds: PRODUCE_SECONDS, name: 'py-producer-1' });
    const producerExit = await exitOf(producer.workload, 'the producer');
    expect(producerExit.code, producerExit.output).toBe(0);
    const sent = okSends(readHistory(producer.historyPath));
    expect(sent.size).toBeGreaterThan(RATE_PER_S * PRODUCE_SECONDS * 0.5);
    await pollUntil('the consumer to poll every acknowledged value', CATCH_UP_TIMEOUT_MS, () => [...sent].every((v) => polled(consumer.historyPath).has(v)));
    const consumerExit = await consumer.workload.stop();
    expect(consumerExit.code, consumerExit.output).toBe(0);
    const history = [...readHistory(producer.historyPath), ...readHistory(consumer.historyPath)];
    const final = await finalOf(topic);
    expect(checkHistory(history, final, { complete: true, allOk: true })).toEqual([]);
    const consumerHistory = readHistory(consumer.historyPath);
    expect(consumerHistory[0]).toMatchObject({ f: 'assign', generation: 1, partitions: [0, 1, 2] });
    expect(consumerHistory.at(-1)).toMatchObject({ f: 'revoke', partitions: [0, 1, 2] });
    expect(consumerHistory.filter((e) => e.f === 'commit' && e.type === 'ok').length).toBeGreaterThan(0);
    console.log(JSON.stringify({ test: 'py-clean', acked: sent.size, consumerLines: consumerHistory.length, ms: Math.round(performance.now() - started) }));
  });

  it('librdkafka workloads stopped by SIGTERM mid-run leave complete, parseable histories', async () => {
    const topic = 'py-sigterm';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    const consumer = start({ kind: 'py-consumer', topic, rate: 1, seconds: CONSUMER_SECONDS, name: 'py-consumer-2' });
    const producer = start({ kind: 'py-producer', topic, rate: 300, seconds: CONSUMER_SECONDS, name: 'py-producer-2' });
    await pollUntil('both workloads to log', CATCH_UP_TIMEOUT_MS, () => lines(producer.historyPath) > 400 && lines(consumer.historyPath) > 10);
    const [producerExit, consumerExit] = await Promise.all([producer.workload.stop(), consumer.workload.stop()]);
    expect(producerExit.code, producerExit.output).toBe(0);
    expect(producerExit.report).toMatchObject({ stop: 'SIGTERM' });
    expect(consumerExit.code, consumerExit.output).toBe(0);
    expect(consumerExit.report).toMatchObject({ stop: 'SIGTERM' });
    const history = [...readHistory(producer.historyPath), ...readHistory(consumer.historyPath)];
    // Sends cut by the stop may be info (indeterminate), so not allOk; but nothing is left open.
    expect(checkHistory(history, await finalOf(topic), { complete: true, allOk: false })).toEqual([]);
    expect(history.filter((e) => e.f === 'send' && e.type === 'fail')).toEqual([]);
  });

  it('KafkaJS workload (idempotent producer + group member): history matches the final read; SIGTERM leaves it complete', async () => {
    const topic = 'kafkajs-clean';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    const started = performance.now();
    const run = start({ kind: 'kafkajs', topic, rate: RATE_PER_S, seconds: CONSUMER_SECONDS, name: 'kafkajs-1' });
    await pollUntil('the KafkaJS workload to produce and poll', CATCH_UP_TIMEOUT_MS, () => {
      const history = existsSync(run.historyPath) ? readHistory(run.historyPath) : [];
      return history.filter((e) => e.f === 'send' && e.type === 'ok').length >= RATE_PER_S * 2 && history.some((e) => e.f === 'poll');
    });
    const exit = await run.workload.stop();
    expect(exit.code, exit.output).toBe(0);
    expect(exit.report).toMatchObject({ stop: 'SIGTERM', errors: [] });
    const history = readHistory(run.historyPath);
    const final = await finalOf(topic);
    expect(checkHistory(history, final, { complete: true, allOk: true })).toEqual([]);
    expect(history.find((e) => e.f === 'assign')).toMatchObject({ process: 'kafkajs-1-consumer', generation: 1, partitions: [0, 1, 2] });
    expect(history.filter((e) => e.f === 'commit' && e.type === 'ok').length).toBeGreaterThan(0);
    console.log(JSON.stringify({ test: 'kafkajs-clean', acked: okSends(history).size, polled: polled(run.historyPath).size, ms: Math.round(performance.now() - started) }));
  });
});

describe('workloads when the broker dies under them', () => {
  it('SIGTERM ends the librdkafka producer and the KafkaJS workload in bounded time with every send completed, none wrongly failed', { timeout: 180_000 }, async () => {
    const dataDir = join(dir.path, 'dying-broker');
    let dying = await startBroker({ dataDir });
    try {
      const topic = 'dying';
      await createTopic(dying.bootstrap, topic, PARTITIONS);
      const common = { bootstrap: dying.bootstrap, topic, partitions: PARTITIONS, rate: RATE_PER_S, seconds: CONSUMER_SECONDS, seed: 5 };
      const py = { historyPath: join(dir.path, 'py-producer-dying.jsonl'), name: 'py-producer-dying' };
      const js = { historyPath: join(dir.path, 'kafkajs-dying.jsonl'), name: 'kafkajs-dying' };
      const pyProducer = startWorkload({ ...common, ...py, kind: 'py-producer', messageTimeoutMs: 60_000 });
      // With its consumer too: a group member whose broker died must not keep the process alive.
      const jsProducer = startWorkload({ ...common, ...js, kind: 'kafkajs' });
      running.push(pyProducer, jsProducer);
      const oks = (path: string): number => (existsSync(path) ? readHistory(path).filter((e) => e.f === 'send' && e.type === 'ok').length : 0);
      await pollUntil('both producers to be acknowledged', CATCH_UP_TIMEOUT_MS, () => oks(py.historyPath) >= 50 && oks(js.historyPath) >= 50);
      await dying.kill();
      const linesAtKill = lines(py.historyPath) + lines(js.historyPath);
      await pollUntil('both producers to go on invoking against the dead broker', CATCH_UP_TIMEOUT_MS, () => lines(py.historyPath) + lines(js.historyPath) > linesAtKill + 20);
      const stopStarted = performance.now();
      const exits = await Promise.all([pyProducer.stop(), jsProducer.stop()]);
      const stopMs = Math.round(performance.now() - stopStarted);
      for (const exit of exits) expect(exit.code, exit.output).toBe(0);
      expect(stopMs).toBeLessThan(STOP_BOUND_MS);
      const history = [...readHistory(py.historyPath), ...readHistory(js.historyPath)];
      expect(history.filter((e) => e.f === 'send' && e.type === 'fail')).toEqual([]);
      const infos = history.filter((e) => e.f === 'send' && e.type === 'info');
      expect(infos.length).toBeGreaterThan(0);
      dying = await startBroker({ dataDir, port: dying.port });
      const finalPath = join(dir.path, 'dying-final.json');
      await finalRead(dying.bootstrap, topic, finalPath, { partitions: PARTITIONS });
      expect(checkHistory(history, readFinal(finalPath), { complete: true, allOk: false })).toEqual([]);
      console.log(JSON.stringify({ test: 'broker-killed', stopMs, info: infos.length, infoErrors: [...new Set(infos.map((e) => e.error))].slice(0, 10) }));
    } finally {
      await dying.kill();
    }
  });
});
