/**
 * One consumer process for client-consumer (./consumer-throughput.ts): reads `warmCount`
 * records of `warmTopic` untimed (JIT, connections), then every one of the `count` records
 * of `topic` from offset 0 (all its partitions), and prints one line:
 *   result {"client", "records", "elapsedMs", "cpuMs", "bytes"}
 * elapsedMs and cpuMs (this process) run from the first record of `topic` to the last, so
 * a group's join and the first metadata round trip are not in them; bytes: the values read.
 *
 *   node --import tsx bench/client/consume-load.ts <client> <bootstrap> <warmTopic> <warmCount> <topic> <count> <partitions>
 *
 * client: samsa (assign-only, every partition from offset 0), samsa-group (a fresh group,
 * autoOffsetReset earliest, auto-commit on), kafkajs (2.2.4, a fresh group, fromBeginning,
 * eachBatch), platformatic (@platformatic/kafka on Node 22, a fresh group, mode earliest;
 * PLATFORMATIC_KAFKA_ENTRY = its dist/index.js, see ./platformatic.ts). Each client's
 * default fetch sizes.
 */
import { pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import { Consumer } from '@samsa/client';
import { nodeRuntime } from '@samsa/runtime/node';

interface Timing {
  firstAt: number;
  cpuAtFirst: NodeJS.CpuUsage;
  lastAt: number;
  /** CPU from the first record to the last. */
  cpu: NodeJS.CpuUsage;
  seen: number;
  bytes: number;
}

/** Counts records; notes the time and CPU at the first; resolves once `count` arrived. */
function counter(count: number): { timing: Timing; add: (records: number, bytes: number) => boolean } {
  const timing: Timing = { firstAt: 0, cpuAtFirst: process.cpuUsage(), lastAt: 0, cpu: { user: 0, system: 0 }, seen: 0, bytes: 0 };
  return {
    timing,
    add(records, bytes) {
      if (timing.seen === 0 && records > 0) {
        timing.firstAt = performance.now();
        timing.cpuAtFirst = process.cpuUsage();
      }
      timing.seen += records;
      timing.bytes += bytes;
      if (timing.seen < count || timing.lastAt > 0) return timing.seen >= count;
      timing.lastAt = performance.now();
      timing.cpu = process.cpuUsage(timing.cpuAtFirst);
      return true;
    },
  };
}

type Reader = (topic: string, count: number, partitions: number, group: string) => Promise<Timing>;

const samsa =
  (bootstrap: string, grouped: boolean): Reader =>
  async (topic, count, partitions, group) => {
    const consumer = new Consumer({ ...nodeRuntime(), bootstrap: [bootstrap], clientId: 'bench-samsa', ...(grouped ? { groupId: group, autoOffsetReset: 'earliest' as const } : {}) });
    if (grouped) consumer.subscribe([topic]);
    else consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0n })));
    const c = counter(count);
    try {
      for (;;) {
        const batch = await consumer.next();
        let bytes = 0;
        for (const r of batch.records) bytes += r.value?.byteLength ?? 0;
        if (c.add(batch.records.length, bytes)) break;
      }
    } finally {
      await consumer.close();
    }
    return c.timing;
  };

const kafkajsReader =
  (bootstrap: string): Reader =>
  async (topic, count, _partitions, group) => {
    const { Kafka, logLevel } = kafkajs;
    const consumer = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const c = counter(count);
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            let bytes = 0;
            for (const m of batch.messages) bytes += m.value?.byteLength ?? 0;
            if (c.add(batch.messages.length, bytes)) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return c.timing;
  };

interface PlatformaticStream extends AsyncIterable<{ value: Buffer | null }> {
  close(): Promise<void>;
}
interface PlatformaticConsumer {
  consume(options: Record<string, unknown>): Promise<PlatformaticStream>;
  close(force?: boolean): Promise<void>;
}

const platformaticReader =
  (bootstrap: string): Reader =>
  async (topic, count, _partitions, group) => {
    const entry = process.env['PLATFORMATIC_KAFKA_ENTRY'];
    if (entry === undefined) throw new Error('PLATFORMATIC_KAFKA_ENTRY is not set');
    const { Consumer: PConsumer } = (await import(pathToFileURL(entry).href)) as { Consumer: new (options: Record<string, unknown>) => PlatformaticConsumer };
    const consumer = new PConsumer({ clientId: 'bench-platformatic', bootstrapBrokers: [bootstrap], groupId: group });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const c = counter(count);
    for await (const m of stream) if (c.add(1, m.value?.byteLength ?? 0)) break;
    await stream.close();
    await consumer.close(true);
    return c.timing;
  };

const [client, bootstrap, warmTopic, warmCountText, topic, countText, partitionsText] = process.argv.slice(2);
const warmCount = Number(warmCountText);
const count = Number(countText);
const partitions = Number(partitionsText);
if (!bootstrap || !warmTopic || !topic || !(warmCount > 0) || !(count > 0) || !(partitions > 0)) {
  throw new Error('usage: consume-load.ts <samsa|samsa-group|kafkajs|platformatic> <bootstrap> <warmTopic> <warmCount> <topic> <count> <partitions>');
}
const readers: Record<string, () => Reader> = {
  samsa: () => samsa(bootstrap, false),
  'samsa-group': () => samsa(bootstrap, true),
  kafkajs: () => kafkajsReader(bootstrap),
  platformatic: () => platformaticReader(bootstrap),
};
const make = client === undefined ? undefined : readers[client];
if (make === undefined) throw new Error(`unknown client ${client}`);
const read = make();
const suffix = `${process.pid}-${Date.now()}`;
await read(warmTopic, warmCount, partitions, `bench-warm-${suffix}`);
const t = await read(topic, count, partitions, `bench-${suffix}`);
console.log(`result ${JSON.stringify({ client, records: t.seen, elapsedMs: t.lastAt - t.firstAt, cpuMs: (t.cpu.user + t.cpu.system) / 1000, bytes: t.bytes })}`);
