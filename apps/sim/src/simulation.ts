/**
 * runSimulation: one seed, one run of a whole cluster (VOPR-style), deterministic.
 *
 *   1. boot: N real brokers (SimBroker) on the simulated etcd, network and disks; wait
 *      until every one is registered and one controller leads;
 *   2. setup: create the workload's topics through the Kafka protocol (CreateTopics to any
 *      broker, forwarded to the controller), wait for their partition records;
 *   3. safety phase (`safetyMs`): two idempotent producers (acks=1 and acks=all) and a
 *      consumer run while the simulator injects faults every 0.2–2 s: broker crashes with
 *      lost or torn unsynced writes (and restarts), network partitions between random sets
 *      of nodes (etcd is one of them), connection resets, lossy and slow network periods, etcd fault bursts
 *      (refusals, unknown outcomes, slow answers, watch drops, early lease expiry);
 *      the Invariants check every store write and every client observation as it happens;
 *   4. liveness phase (VOPR separates the two): faults stop, partitions heal, every broker
 *      runs again; within `livenessMsMax` every broker's view must reach the store's
 *      partition state with a leader for every partition, and every replicated partition
 *      must catch up (whole ISR, every replica at the leader's log end and HW)
 *      (`convergence`);
 *   5. final read of every partition to its high watermark; `no-acked-loss`,
 *      `replica-agreement` (records read earlier are still there; every replica's log,
 *      read directly, equals the leader's byte for byte below the HW).
 *
 * Everything runs on the SimClock, one timer at a time, with the host's microtasks drained
 * between timers; every choice comes from Randoms seeded from the seed. The first broken
 * invariant ends the run. The result carries the trace hash (same seed ⇒ same hash).
 */
import type { PartitionLog } from '@samsa/broker';
import { ApiKey, CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, splitRecordBatches } from '@samsa/codec';
import { SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom, type Random } from '@samsa/runtime';
import { Invariants, Violation } from './invariants.ts';
import { SimBroker } from './sim-broker.ts';
import { SimConsumer, SimProducer, tpKey } from './sim-clients.ts';
import { NodeClock, SimClock } from './sim-clock.ts';
import { calmNetwork, SimNetwork } from './sim-network.ts';
import { clusterKeys, etcdNode } from './sim-store.ts';
import { Trace } from './trace.ts';
import { WireClient, type Endpoint } from './wire-client.ts';

/** Known-bad rules the simulator must catch (test-only). */
export type Plant = 'elect-outside-isr' | 'lying-fsync' | 'ignore-lease-loss' | ReplicationPlant;
/** Planted bugs of the replication state machines (@samsa/replication's test-only `plantedBug`). */
export type ReplicationPlant = 'hw-is-leader-leo' | 'skip-truncation';
export const plants: readonly Plant[] = ['elect-outside-isr', 'lying-fsync', 'ignore-lease-loss', 'hw-is-leader-leo', 'skip-truncation'];
const replicationPlants: readonly Plant[] = ['hw-is-leader-leo', 'skip-truncation'];
/** Period of the leadership samples (`lease-fencing`). */
export const leadershipSampleMs = 250;

export interface SimulationOptions {
  readonly seed: number;
  /** Default 3. */
  readonly brokers?: number;
  /** Length of the faulty phase, simulated ms. Default 20 000. */
  readonly safetyMs?: number;
  /** Bound of the liveness phase, simulated ms. Default 60 000. */
  readonly livenessMsMax?: number;
  readonly plant?: Plant | null;
  /** Inject faults (default true). */
  readonly faults?: boolean;
  /** Receives the brokers' log lines (debugging a seed: `--log`). */
  readonly log?: (line: string) => void;
}

export interface SimulationResult {
  readonly seed: number;
  readonly plant: Plant | null;
  readonly safetyMs: number;
  readonly brokers: number;
  readonly ok: boolean;
  readonly violation: { readonly rule: string; readonly message: string; readonly atMs: number } | null;
  readonly traceHash: string;
  readonly simulatedMs: number;
  readonly faults: number;
  readonly checks: number;
  readonly events: number;
  readonly acked: number;
  readonly read: number;
  /** The last trace lines (for a failure report). */
  readonly recent: readonly string[];
}

/** Bound of timer events per run (a livelock fails the run instead of hanging). */
export const eventsPerRunMax = 20_000_000;
const bootMsMax = 60_000;
const setupMsMax = 60_000;
/** Brokers' lease TTL: short, so partitions from etcd (1–6 s) do cost leases. */
export const sessionTimeoutMs = 4000;
/** Followers' lag bound (Kafka's default is 30 s): short, so partitions and slow periods shrink and expand ISRs within a run. */
export const replicaLagTimeMaxMs = 2000;

const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Topic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

function workloadTopics(brokers: number): Topic[] {
  return [
    { name: 'plain', partitions: 3, replicationFactor: 1, configs: {} },
    { name: 'durable', partitions: 2, replicationFactor: 1, configs: { 'flush.messages': '1' } },
    // The main data topic: acks=all needs 2 in-sync replicas; every replica fsyncs each
    // message, so an acks=all ack means on disk on every ISR member that acknowledged it.
    { name: 'replicated', partitions: 2, replicationFactor: Math.min(3, brokers), configs: { 'flush.messages': '1', 'min.insync.replicas': String(Math.min(2, brokers)) } },
  ];
}

/** Bytes per read when the final check reads replica logs directly. */
const replicaReadBytesMax = 1 << 20;

class Simulation {
  readonly seed: number;
  readonly plant: Plant | null;
  readonly clock = new SimClock();
  readonly trace: Trace;
  readonly random: Random;
  readonly store: SimulatedMetadataStore;
  readonly network: SimNetwork;
  readonly invariants: Invariants;
  readonly brokers: SimBroker[] = [];
  readonly topics: Topic[];
  readonly clientClocks: NodeClock[] = [];
  readonly producers: SimProducer[] = [];
  consumer: SimConsumer | null = null;
  /** Producers whose run() has returned (no request of theirs in flight). */
  #producersDone = 0;
  #timerEvents = 0;

  constructor(o: SimulationOptions) {
    this.seed = o.seed;
    this.plant = o.plant ?? null;
    this.trace = new Trace(() => this.clock.monotonicMs());
    this.random = createRandom(o.seed);
    this.store = new SimulatedMetadataStore({ clock: this.clock, random: createRandom((o.seed ^ 0x5bd1e995) >>> 0) });
    this.network = new SimNetwork(this.clock, createRandom((o.seed + 0x9e3779b9) >>> 0), this.trace, calmNetwork);
    this.invariants = new Invariants(this.store, () => this.clock.monotonicMs(), { replication: true });
    const n = o.brokers ?? brokersDefault;
    this.topics = workloadTopics(n);
    for (let id = 1; id <= n; id++) {
      this.brokers.push(
        new SimBroker({
          nodeId: id,
          seed: o.seed,
          clock: this.clock,
          network: this.network,
          store: this.store,
          observer: this.invariants,
          trace: this.trace,
          plants: {
            lyingFsync: this.plant === 'lying-fsync',
            electOutsideIsr: this.plant === 'elect-outside-isr',
            ignoreLeaseLoss: this.plant === 'ignore-lease-loss',
            replication: this.plant !== null && replicationPlants.includes(this.plant) ? (this.plant as ReplicationPlant) : null,
          },
          ...(o.log !== undefined ? { log: o.log } : {}),
          overrides: ['default.replication.factor=1', 'num.partitions=1', `broker.session.timeout.ms=${sessionTimeoutMs}`, 'broker.heartbeat.interval.ms=1000', `replica.lag.time.max.ms=${replicaLagTimeMaxMs}`],
        }),
      );
    }
  }

  get bootstrap(): Endpoint[] {
    return this.brokers.map((b) => ({ host: '127.0.0.1', port: b.port }));
  }

  /** Runs timers until `done()` holds, a violation, or `maxMs` of simulated time. */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const deadlineMs = this.clock.monotonicMs() + maxMs;
    for (;;) {
      await drainMicrotasks();
      if (this.invariants.violation !== null) return false;
      if (done()) return true;
      if (++this.#timerEvents > eventsPerRunMax) throw new Violation('progress', `more than ${eventsPerRunMax} events in one run`, this.clock.monotonicMs());
      if (!this.clock.runNext(deadlineMs)) {
        this.clock.jumpTo(deadlineMs);
        await drainMicrotasks();
        return done();
      }
    }
  }

  /** Samples every broker's leadership and lease on the simulator's own timer, for the whole run. */
  sampleLeadership(): void {
    this.clock.setInterval(() => {
      for (const b of this.brokers) {
        const sample = b.leadershipSample();
        if (sample === null) continue;
        this.invariants.onLeadershipSample(sample.process, sample.leading, sample.leaseId);
        for (const { tp, leaderEpoch } of sample.led) this.invariants.onLeaderEpochSample(sample.process, tp, leaderEpoch);
      }
    }, leadershipSampleMs);
  }

  async boot(): Promise<void> {
    this.sampleLeadership();
    for (const b of this.brokers) b.start();
    const n = this.brokers.length;
    const booted = await this.runUntil(() => this.brokers.every((b) => {
      const view = b.running?.cluster?.view();
      return view !== undefined && view.controllerId >= 0 && view.brokers.size === n;
    }), bootMsMax);
    if (!booted) this.invariants.fail('convergence', `the cluster did not boot within ${bootMsMax} ms`);
  }

  async createTopics(): Promise<void> {
    const clock = this.#processClock();
    const wire = new WireClient(this.network.transportFor('admin'), clock, 'sim-admin');
    const pending = new Set(this.topics.map((t) => t.name));
    const create = async (): Promise<void> => {
      for (let attempt = 0; pending.size > 0 && attempt < 50; attempt++) {
        const endpoint = this.bootstrap[this.random.int(0, this.brokers.length)]!;
        try {
          const res = await wire.request(endpoint, ApiKey.CreateTopics, 5, CreateTopicsRequestCodec, {
            topics: this.topics.filter((t) => pending.has(t.name)).map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, assignments: [], configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
            timeoutMs: 5000,
            validateOnly: false,
          }, CreateTopicsResponseCodec, 10_000);
          for (const t of res.topics) if (t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) pending.delete(t.name);
        } catch {
          // retried
        }
        if (pending.size > 0) await clock.sleep(200);
      }
    };
    void create();
    const want = this.topics.reduce((s, t) => s + t.partitions, 0);
    const created = await this.runUntil(() => pending.size === 0 && this.invariants.partitionRecords().size >= want, setupMsMax);
    wire.closeAll();
    clock.kill();
    this.network.kill('admin');
    if (!created) {
      this.invariants.fail('convergence', `the workload's topics were not created within ${setupMsMax} ms`);
      return;
    }
    for (const [key, record] of this.invariants.partitionRecords()) {
      const parsed = clusterKeys.parse(key);
      if (parsed?.kind !== 'partition') continue;
      const topic = this.topics.find((t) => t.name === parsed.topic)!;
      this.invariants.setFacts(tpKey(parsed.topic, parsed.partition), { replicationFactor: record.replicas.length, fsyncsEachMessage: topic.configs['flush.messages'] === '1', replicas: record.replicas });
    }
  }

  startClients(): void {
    const topics = new Map(this.topics.map((t) => [t.name, t.partitions]));
    for (let i = 1; i <= 2; i++) {
      const name = `producer-${i}`;
      const clock = this.#processClock();
      const producer = new SimProducer({ name, clock, random: createRandom((this.seed * 13 + i) >>> 0), wire: new WireClient(this.network.transportFor(name), clock, name), trace: this.trace, bootstrap: this.bootstrap, topics, invariants: this.invariants });
      this.producers.push(producer);
      void producer.run().finally(() => this.#producersDone++);
    }
    const clock = this.#processClock();
    this.consumer = new SimConsumer({ name: 'consumer', clock, random: createRandom((this.seed * 17 + 1) >>> 0), wire: new WireClient(this.network.transportFor('consumer'), clock, 'consumer'), trace: this.trace, bootstrap: this.bootstrap, topics, invariants: this.invariants, processOf: this.#processOf });
    void this.consumer.run();
  }

  readonly #processOf = (nodeId: number): string => this.#brokerById(nodeId)?.process ?? `broker-${nodeId}#down`;

  #processClock(): NodeClock {
    const clock = new NodeClock(this.clock);
    this.clientClocks.push(clock);
    return clock;
  }

  /** Schedules the fault injector on the simulator's own timers until `untilMs`. */
  scheduleFaults(untilMs: number): void {
    const tick = (): void => {
      if (this.clock.monotonicMs() >= untilMs) return;
      this.#injectOne(untilMs);
      this.clock.setTimeout(tick, 200 + this.random.next() * 1800);
    };
    this.clock.setTimeout(tick, 500 + this.random.next() * 1500);
  }

  #injectOne(untilMs: number): void {
    const r = this.random.next();
    const later = (ms: number, what: () => void): void => void this.clock.setTimeout(() => {
      if (this.clock.monotonicMs() < untilMs) what();
    }, ms);
    if (r < 0.3) {
      const up = this.brokers.filter((b) => b.alive);
      if (up.length <= 1) return;
      const victim = up[this.random.int(0, up.length)]!;
      victim.crash(this.random.next() < 0.5 ? this.random.nextUint32() : null);
      this.invariants.onCrash(victim.nodeId);
      later(1000 + this.random.next() * 7000, () => {
        if (!victim.alive) victim.start();
      });
    } else if (r < 0.5) {
      const nodes = [...this.brokers.map((b) => b.name), etcdNode, 'producer-1', 'producer-2', 'consumer'];
      const side = nodes.filter(() => this.random.next() < 0.5);
      if (side.length === 0 || side.length === nodes.length) return;
      this.network.partition(side, nodes.filter((x) => !side.includes(x)));
      later(1000 + this.random.next() * 5000, () => this.network.heal());
    } else if (r < 0.65) {
      this.network.resetRandomConnection();
    } else if (r < 0.85) {
      this.trace.fault('etcd fault burst');
      this.store.configureFaults({ unavailableProbability: 0.1, unknownOutcomeProbability: 0.05, slowResponseProbability: 0.1, slowResponseMsMax: 1500, watchDropProbability: 0.05, leaseEarlyExpiryProbability: 0.05 });
      later(1000 + this.random.next() * 4000, () => this.#calmStore());
    } else {
      this.trace.fault('lossy network');
      this.network.configure({ ...calmNetwork, delayMsMax: 50, resetProbability: 0.02 });
      later(1000 + this.random.next() * 3000, () => this.network.configure(calmNetwork));
    }
  }

  #calmStore(): void {
    this.store.configureFaults({});
    this.trace.event('etcd calm');
  }

  /** Liveness phase: no more faults, every broker up, views converge to the store. */
  async converge(livenessMsMax: number): Promise<void> {
    this.network.heal();
    this.network.configure(calmNetwork);
    this.#calmStore();
    for (const p of this.producers) p.stopped = true;
    if (this.consumer !== null) this.consumer.stopped = true;
    this.trace.event('liveness phase');
    const startedMs = this.clock.monotonicMs();
    let converged = false;
    while (!converged && this.clock.monotonicMs() - startedMs < livenessMsMax && this.invariants.violation === null) {
      for (const b of this.brokers) if (!b.alive) b.start();
      // Converged, and no produce still in flight (its ack must come before the final read).
      converged = await this.runUntil(() => this.#producersDone === this.producers.length && this.#converged(), Math.min(2000, livenessMsMax));
    }
    if (!converged) this.invariants.fail('convergence', `views did not reach the store within ${livenessMsMax} ms after the faults stopped: ${this.#producersDone < this.producers.length ? 'a producer is still running; ' : ''}${this.#divergence()}`);
  }

  #converged(): boolean {
    return this.#divergence() === '';
  }

  /** Why the cluster has not converged yet ('' once it has). */
  #divergence(): string {
    const records = this.invariants.partitionRecords();
    for (const b of this.brokers) {
      const view = b.running?.cluster?.view();
      if (view === undefined) return `${b.name} is not serving`;
      if (!b.running!.cluster!.leaseValid) return `${b.name} holds no valid lease`;
      if (view.controllerId < 0) return `${b.name} knows no controller`;
      if (view.brokers.size !== this.brokers.length) return `${b.name} sees ${view.brokers.size} brokers`;
      for (const [key, record] of records) {
        const parsed = clusterKeys.parse(key);
        if (parsed?.kind !== 'partition') continue;
        const p = view.topics.get(parsed.topic)?.partitions[parsed.partition];
        if (p === undefined) return `${b.name} lacks ${parsed.topic}-${parsed.partition}`;
        if (record.leader < 0) return `${parsed.topic}-${parsed.partition} has no leader (replicas [${record.replicas.join(',')}], ISR [${record.isr.join(',')}], leader epoch ${record.leaderEpoch}, partition epoch ${record.partitionEpoch}; controller ${view.controllerId}, brokers [${[...view.brokers.keys()].join(',')}])`;
        if (p.leader !== record.leader || p.leaderEpoch !== record.leaderEpoch || p.isr.join() !== record.isr.join()) return `${b.name} sees ${parsed.topic}-${parsed.partition} at leader ${p.leader} epoch ${p.leaderEpoch}, the store at leader ${record.leader} epoch ${record.leaderEpoch}`;
        const local = b.running!.broker.registry.partition(parsed.topic, parsed.partition);
        if (record.replicas.includes(b.nodeId) && local?.isLeader !== (record.leader === b.nodeId)) return `${b.name}'s replica of ${parsed.topic}-${parsed.partition} is not yet in its role`;
      }
    }
    return this.#replicasBehind();
  }

  /** Why some replicated partition has not caught up yet ('' once every one has): whole ISR, every replica at the leader's end and HW. */
  #replicasBehind(): string {
    for (const [key, record] of this.invariants.partitionRecords()) {
      const parsed = clusterKeys.parse(key);
      if (parsed?.kind !== 'partition' || record.replicas.length < 2) continue;
      const tp = tpKey(parsed.topic, parsed.partition);
      if ([...record.isr].sort().join() !== [...record.replicas].sort().join()) return `${tp}: ISR [${record.isr.join(',')}] of replicas [${record.replicas.join(',')}]`;
      const leaderLog = this.#brokerById(record.leader)?.running?.broker.registry.partition(parsed.topic, parsed.partition)?.log;
      if (leaderLog === undefined) return `${tp}: leader ${record.leader} has no log open`;
      if (leaderLog.highWatermark !== leaderLog.logEndOffset) return `${tp}: leader ${record.leader} HW ${leaderLog.highWatermark} below its log end ${leaderLog.logEndOffset}`;
      for (const replica of record.replicas) {
        const log = this.#brokerById(replica)?.running?.broker.registry.partition(parsed.topic, parsed.partition)?.log;
        if (log === undefined) return `${tp}: broker ${replica} has no log open`;
        if (log.logEndOffset !== leaderLog.logEndOffset || log.highWatermark !== leaderLog.highWatermark) return `${tp}: broker ${replica} at log end ${log.logEndOffset} HW ${log.highWatermark}, leader ${record.leader} at ${leaderLog.logEndOffset} HW ${leaderLog.highWatermark}`;
      }
    }
    return '';
  }

  #brokerById(nodeId: number): SimBroker | undefined {
    return this.brokers.find((b) => b.nodeId === nodeId);
  }

  /** Reads every replica's log of every replicated partition below the leader's HW, for `replica-agreement`. */
  async #compareReplicaLogs(): Promise<void> {
    for (const [key, record] of this.invariants.partitionRecords()) {
      const parsed = clusterKeys.parse(key);
      if (parsed?.kind !== 'partition' || record.replicas.length < 2) continue;
      const leaderLog = this.#brokerById(record.leader)?.running?.broker.registry.partition(parsed.topic, parsed.partition)?.log;
      if (leaderLog === undefined) continue;
      const highWatermark = leaderLog.highWatermark;
      const logs = new Map<number, Uint8Array>();
      for (const replica of record.replicas) {
        const log = this.#brokerById(replica)?.running?.broker.registry.partition(parsed.topic, parsed.partition)?.log;
        if (log !== undefined) logs.set(replica, await readBelow(log, highWatermark));
      }
      this.invariants.checkReplicaLogs(tpKey(parsed.topic, parsed.partition), record.leader, highWatermark, logs);
    }
  }

  /** The final read of every partition, then the end-of-run checks. */
  async finalCheck(): Promise<void> {
    const clock = this.#processClock();
    const reader = new SimConsumer({ name: 'final-reader', clock, random: createRandom((this.seed * 19 + 1) >>> 0), wire: new WireClient(this.network.transportFor('final-reader'), clock, 'final-reader'), trace: this.trace, bootstrap: this.bootstrap, topics: new Map(this.topics.map((t) => [t.name, t.partitions])), invariants: this.invariants, processOf: this.#processOf });
    let done: boolean | null = null;
    this.invariants.beginFinalRead();
    void reader.refreshMetadata().then(() => reader.readAll(300)).then((ok) => (done = ok));
    await this.runUntil(() => done !== null, 120_000);
    if (this.invariants.violation !== null) return;
    if (done !== true) {
      this.invariants.fail('convergence', 'the final read could not reach the high watermark of every partition');
      return;
    }
    this.invariants.checkNoAckedLoss();
    this.invariants.checkCommittedReads();
    let compared = false;
    void this.#compareReplicaLogs().then(() => (compared = true));
    await this.runUntil(() => compared, 60_000);
    if (this.invariants.violation === null && !compared) this.invariants.fail('convergence', 'the replica logs could not be read');
  }

  /** Kills every process (nothing runs after the simulation). */
  teardown(): void {
    for (const b of this.brokers) b.halt();
    for (const c of this.clientClocks) c.kill();
  }
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const sim = new Simulation(o);
  const safetyMs = o.safetyMs ?? safetyMsDefault;
  try {
    await sim.boot();
    if (sim.invariants.violation === null) await sim.createTopics();
    if (sim.invariants.violation === null) {
      sim.startClients();
      if (o.faults ?? true) sim.scheduleFaults(sim.clock.monotonicMs() + safetyMs);
      await sim.runUntil(() => false, safetyMs);
    }
    if (sim.invariants.violation === null) await sim.converge(o.livenessMsMax ?? 60_000);
    if (sim.invariants.violation === null) await sim.finalCheck();
  } catch (error) {
    if (!(error instanceof Violation)) throw error;
    sim.invariants.violation = error;
  } finally {
    sim.teardown();
  }
  const v = sim.invariants.violation;
  return {
    seed: o.seed,
    plant: sim.plant,
    safetyMs,
    brokers: sim.brokers.length,
    ok: v === null,
    violation: v === null ? null : { rule: v.rule, message: v.message, atMs: v.atMs },
    traceHash: sim.trace.digest(),
    simulatedMs: sim.clock.monotonicMs(),
    faults: sim.trace.faults,
    checks: sim.invariants.checks,
    events: sim.trace.events,
    acked: sim.producers.reduce((s, p) => s + p.acked, 0),
    read: sim.consumer?.read ?? 0,
    recent: sim.trace.recent,
  };
}

/** The log's batches from its start up to `highWatermark` (whole batches: the last ends just below it once HW = LEO). */
async function readBelow(log: PartitionLog, highWatermark: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let offset = log.logStartOffset;
  for (let reads = 0; offset < highWatermark && reads < replicaReadsMax; reads++) {
    const { records } = await log.read(offset, replicaReadBytesMax, { maxOffset: highWatermark });
    const { batches } = splitRecordBatches(records);
    if (batches.length === 0) break;
    for (const batch of batches) {
      const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
      const lastOffset = Number(view.getBigInt64(0)) + view.getInt32(23);
      if (lastOffset < offset) continue;
      parts.push(batch);
      offset = lastOffset + 1;
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Bound of reads per replica log (each up to `replicaReadBytesMax`). */
const replicaReadsMax = 10_000;

export const safetyMsDefault = 20_000;
export const brokersDefault = 3;

/** The one command that replays a run (the options that differ from the defaults included). */
export function replayCommand(r: Pick<SimulationResult, 'seed' | 'plant' | 'safetyMs' | 'brokers'>): string {
  const flags = [
    ...(r.plant === null ? [] : [`--plant ${r.plant}`]),
    ...(r.safetyMs === safetyMsDefault ? [] : [`--safety-ms ${r.safetyMs}`]),
    ...(r.brokers === brokersDefault ? [] : [`--brokers ${r.brokers}`]),
  ];
  return `SAMSA_SEED=${r.seed} npm run sim${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`;
}
