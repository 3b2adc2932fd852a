/**
 * One producer process for client-producer (./producer-throughput.ts) and
 * client-producer-batch-size (./batch-size.ts): `count` records of
 * `recordBytes` (null keys) to `topic`, sent in arrays of SEND_RECORDS records with at
 * most SENDS_IN_FLIGHT sends outstanding — the same shape for every client, so the client
 * is what differs. First WARMUP_RECORDS records untimed (this VM is slow to touch fresh
 * memory, and each client opens its connections then), then the timed run. Prints one line:
 *   result {"client", "records", "elapsedMs", "cpuMs", "sendMs"}
 * (cpuMs: this process, timed part; sendMs: [p50, p99] of one send's time, call to settle).
 * Mode `latency`: instead, `count` records one per send, each awaited (no linger), after
 * LATENCY_WARMUP_SENDS untimed ones; the line carries the sorted per-send times `samplesMs`.
 *
 *   node --import tsx bench/client/produce-load.ts <samsa|kafkajs|platformatic> <bootstrap> <topic> <recordBytes> <count> <acks> [throughput|latency]
 *
 * SAMSA_PRODUCER_OPTIONS: JSON merged into samsa's ProducerOptions (batchSizeBytes, lingerMs…).
 * platformatic: @platformatic/kafka needs Node ≥ 22: run this file with that Node and
 * PLATFORMATIC_KAFKA_ENTRY = the path of the package's dist/index.js (./platformatic.ts).
 * It has no linger: each send() is one Produce request. Not idempotent, even for acks=all:
 * its idempotent producer (1.35.0) gives concurrent send() calls the same sequence numbers
 * (OUT_OF_ORDER_SEQUENCE_NUMBER "0, expected 334" from the second send on).
 */
import { pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import { Producer } from '@samsa/client';
import { nodeRuntime } from '@samsa/runtime/node';

const SEND_RECORDS = 1_000;
const SENDS_IN_FLIGHT = 8;
const WARMUP_RECORDS = 20_000;
const LATENCY_WARMUP_SENDS = 200;

interface Driver {
  send(values: Uint8Array[]): Promise<unknown>;
  close(): Promise<void>;
}

async function samsaDriver(bootstrap: string, topic: string, acks: number, lingerMs: number): Promise<Driver> {
  const extra = JSON.parse(process.env['SAMSA_PRODUCER_OPTIONS'] ?? '{}') as Record<string, unknown>;
  const producer = new Producer({ ...nodeRuntime(), bootstrap: [bootstrap], clientId: 'bench-samsa', acks: acks === -1 ? 'all' : (acks as 0 | 1), lingerMs, ...extra });
  return {
    send: (values) => producer.send({ topic, messages: values.map((value) => ({ value })) }),
    close: () => producer.close(),
  };
}

async function kafkajsDriver(bootstrap: string, topic: string, acks: number): Promise<Driver> {
  const { Kafka, logLevel } = kafkajs;
  const producer = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({ idempotent: acks === -1, maxInFlightRequests: acks === -1 ? 5 : undefined });
  await producer.connect();
  return {
    send: (values) => producer.send({ topic, acks, messages: values.map((v) => ({ value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) })) }),
    close: () => producer.disconnect(),
  };
}

interface PlatformaticProducer {
  send(options: { messages: { topic: string; value: Buffer }[] }): Promise<unknown>;
  close(): Promise<void>;
}

async function platformaticDriver(bootstrap: string, topic: string, acks: number): Promise<Driver> {
  const entry = process.env['PLATFORMATIC_KAFKA_ENTRY'];
  if (entry === undefined) throw new Error('PLATFORMATIC_KAFKA_ENTRY is not set');
  const { Producer: PlatformaticProducer } = (await import(pathToFileURL(entry).href)) as { Producer: new (options: Record<string, unknown>) => PlatformaticProducer };
  const producer = new PlatformaticProducer({ clientId: 'bench-platformatic', bootstrapBrokers: [bootstrap], acks, idempotent: false });
  return {
    send: (values) => producer.send({ messages: values.map((v) => ({ topic, value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) })) }),
    close: () => producer.close(),
  };
}

/** Sends `count` records; returns each send's time (ms, call to settle). */
async function run(driver: Driver, count: number, recordBytes: number): Promise<number[]> {
  const value = new Uint8Array(recordBytes).fill(0x61);
  const chunk = Array.from({ length: SEND_RECORDS }, () => value);
  const inFlight = new Set<Promise<unknown>>();
  const sendMs: number[] = [];
  for (let sent = 0; sent < count; sent += SEND_RECORDS) {
    const n = Math.min(SEND_RECORDS, count - sent);
    const start = performance.now();
    const p = driver.send(n === SEND_RECORDS ? chunk : chunk.slice(0, n));
    inFlight.add(p);
    void p.finally(() => {
      sendMs.push(performance.now() - start);
      inFlight.delete(p);
    });
    if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return sendMs.sort((a, b) => a - b);
}

async function latency(driver: Driver, count: number, recordBytes: number): Promise<number[]> {
  const one = [new Uint8Array(recordBytes).fill(0x61)];
  const samplesMs: number[] = [];
  for (let i = 0; i < LATENCY_WARMUP_SENDS + count; i++) {
    const start = performance.now();
    await driver.send(one);
    if (i >= LATENCY_WARMUP_SENDS) samplesMs.push(performance.now() - start);
  }
  return samplesMs.sort((a, b) => a - b);
}

const [client, bootstrap, topic, recordBytesText, countText, acksText, mode = 'throughput'] = process.argv.slice(2);
const recordBytes = Number(recordBytesText);
const count = Number(countText);
const acks = Number(acksText);
if (!bootstrap || !topic || !(recordBytes > 0) || !(count > 0) || ![0, 1, -1].includes(acks) || !['throughput', 'latency'].includes(mode)) {
  throw new Error('usage: produce-load.ts <samsa|kafkajs|platformatic> <bootstrap> <topic> <recordBytes> <count> <acks> [throughput|latency]');
}
// Kafka 4's producer default linger.ms is 5; one record per send is measured without linger.
const lingerMs = mode === 'latency' ? 0 : 5;
const drivers: Record<string, () => Promise<Driver>> = {
  samsa: () => samsaDriver(bootstrap, topic, acks, lingerMs),
  kafkajs: () => kafkajsDriver(bootstrap, topic, acks),
  platformatic: () => platformaticDriver(bootstrap, topic, acks),
};
const driver = client === undefined || drivers[client] === undefined ? null : await drivers[client]();
if (driver === null) throw new Error(`unknown client ${client}`);
if (mode === 'latency') {
  const samplesMs = await latency(driver, count, recordBytes);
  await driver.close();
  console.log(`result ${JSON.stringify({ client, records: count, samplesMs })}`);
} else {
  await run(driver, WARMUP_RECORDS, recordBytes);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const sends = await run(driver, count, recordBytes);
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  await driver.close();
  const pct = (p: number): number => sends[Math.min(sends.length - 1, Math.floor(p * sends.length))]!;
  console.log(`result ${JSON.stringify({ client, records: count, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, sendMs: [pct(0.5), pct(0.99)] })}`);
}
