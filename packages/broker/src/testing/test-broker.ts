/**
 * startTestBroker: a broker on the memory runtime (MemoryFileSystem, MemoryTransport,
 * ManualClock) for tests. Its partition logs are the broker's one storage path, @samsa/log
 * (SamsaLogStore) over the MemoryFileSystem. `restart()` shuts down and reopens on the same
 * file system, which is how restart behaviour (metadata reload, producer state rebuild,
 * log recovery) is tested without a real disk.
 */
import { createRandom } from '@samsa/runtime';
import { MemoryFileSystem, MemoryTransport, ManualClock } from '@samsa/runtime/memory';
import { Broker } from '../broker.ts';
import { parseServerConfig } from '../config/server-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { PartitionLogStore } from '../partitions/partition-log.ts';
import { interceptOffsetsAppends } from './intercepted-offsets-store.ts';
import type { OffsetsAppendHook } from './intercepted-offsets-store.ts';
import { KafkaTestClient } from './kafka-test-client.ts';

export interface TestBrokerOptions {
  /** Seed of the broker's Random (cluster, topic and member ids); default 0. */
  readonly seed?: number;
  readonly overrides?: readonly string[];
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** `__consumer_offsets` appends go through this hook (slow, gated or failing writes). */
  readonly offsetsAppendHook?: OffsetsAppendHook;
  /** The memory file system's capacity (default 64 GiB): a small one is a small disk. */
  readonly capacityBytes?: number;
}

export interface TestBroker {
  broker: Broker;
  readonly fs: MemoryFileSystem;
  readonly clock: ManualClock;
  readonly transport: MemoryTransport;
  port: number;
  connect(clientId?: string): Promise<KafkaTestClient>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves once `count` long polls are parked on `topic`-`partition` (polls real time,
   * at most 5 s), so a test can move the ManualClock knowing the fetch's timer exists.
   */
  untilParked(topic: string, partition: number, count?: number): Promise<void>;
}

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const clock = new ManualClock();
  const random = createRandom(options.seed ?? 0);
  const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate', ...(options.capacityBytes === undefined ? {} : { capacityBytes: options.capacityBytes }) });
  const transport = new MemoryTransport();
  const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', ...(options.overrides ?? [])] });
  const hook = options.offsetsAppendHook;
  const wrapLogs = hook === undefined ? undefined : { wrapLogs: (logs: PartitionLogStore) => interceptOffsetsAppends(logs, hook) };
  const open = (): Promise<Broker> =>
    Broker.open({ config, fs, clock, random, ...wrapLogs, logger: options.logger, metrics: options.metrics });
  const broker = await open();
  const listener = await broker.listen(transport);
  const tb: TestBroker = {
    broker,
    fs,
    clock,
    transport,
    port: listener.port,
    async connect(clientId) {
      return new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: tb.port }), clientId);
    },
    async restart() {
      await tb.broker.shutdown();
      tb.broker = await open();
      tb.port = (await tb.broker.listen(transport)).port;
    },
    async stop() {
      await tb.broker.shutdown();
    },
    async untilParked(topic, partition, count = 1) {
      for (let i = 0; i < 5000; i++) {
        if ((tb.broker.registry.partition(topic, partition)?.waiterCount ?? 0) >= count) return;
        await new Promise((r) => setTimeout(r, 1));
      }
      throw new Error(`untilParked: no ${count} long poll(s) on ${topic}-${partition} within 5 s`);
    },
  };
  return tb;
}
