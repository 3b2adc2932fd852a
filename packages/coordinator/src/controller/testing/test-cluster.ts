/**
 * Test fixture (not built into dist/ — it is imported only by tests): one simulated store
 * on a manual clock, brokers that register with a lease, and a controller driver per broker.
 */
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { SimulatedMetadataStore } from '../../metadata/simulated/index.ts';
import { ClusterKeys } from '../cluster-keys.ts';
import { decodePartitionRecord, decodeTopicRecord, encodeBrokerRegistration, type PartitionRecord, type TopicRecord } from '../cluster-records.ts';
import { Controller } from '../controller.ts';
import type { ControllerConfig } from '../controller-types.ts';

export const leaseTtlMs = 6000;

export class TestCluster {
  readonly clock = new ManualClock();
  readonly keys = new ClusterKeys('test');
  readonly store: SimulatedMetadataStore;
  readonly leases = new Map<number, string>();
  readonly controllers = new Map<number, Controller>();
  private readonly seed: number;
  private readonly config: ControllerConfig;
  private incarnations = 0;

  private readonly imbalanceCheckMs: number | undefined;

  constructor(seed = 1, config: ControllerConfig = {}, leaderImbalanceCheckIntervalMs?: number) {
    this.seed = seed;
    this.config = config;
    this.imbalanceCheckMs = leaderImbalanceCheckIntervalMs;
    this.store = new SimulatedMetadataStore({ clock: this.clock, random: createRandom(seed) });
  }

  /** Registers broker `id` with a fresh lease (and makes its controller driver). */
  async register(id: number, rack: string | null = null): Promise<Controller> {
    const lease = await this.store.grantLease(leaseTtlMs);
    this.leases.set(id, lease.id);
    const reg = { brokerId: id, host: '127.0.0.1', port: 9092 + id, rack, incarnation: `inc-${++this.incarnations}` };
    await this.store.put(this.keys.broker(id), encodeBrokerRegistration(reg), { lease: lease.id });
    const c = new Controller({ store: this.store, keys: this.keys, brokerId: id, clock: this.clock, random: createRandom(this.seed * 1000 + id + this.incarnations), retryBackoffMs: 0, config: this.config, ...(this.imbalanceCheckMs ? { leaderImbalanceCheckIntervalMs: this.imbalanceCheckMs } : {}) });
    this.controllers.set(id, c);
    return c;
  }

  /** The broker's lease expires (it died): its registration goes, and the controller key if it held it. */
  kill(id: number): void {
    this.store.expireLease(this.leases.get(id)!);
  }

  async refreshAll(): Promise<void> {
    for (const c of this.controllers.values()) await c.refresh();
  }

  topic(name: string): TopicRecord | null {
    const kv = this.store.snapshot().kvs.find((k) => k.key === this.keys.topic(name));
    return kv ? decodeTopicRecord(kv.value) : null;
  }

  partitions(name: string): PartitionRecord[] {
    const prefix = this.keys.topicPartitionsPrefix(name);
    return this.store.snapshot().kvs.filter((k) => k.key.startsWith(prefix)).map((k) => decodePartitionRecord(k.value));
  }
}
