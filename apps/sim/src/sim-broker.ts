/**
 * SimBroker: one broker of the simulated cluster — the REAL broker, as `startBrokerOn`
 * (@samsa/host) assembles it in a cluster (data-dir lock, listener, ClusterMember with the
 * Controller driver, Broker) — on a runtime made of the simulator's parts: its disk
 * (SimDisk, which outlives its processes), its NodeTransport on the SimNetwork, its
 * NodeClock on the SimClock, and its ProcessStore on the simulated etcd.
 *
 * `crash()` is a SIGKILL plus power loss: the process state is dropped (its clock, network,
 * disk and store calls die with it: nothing it started ever runs again), the disk loses its
 * unsynced writes (optionally torn), its lease lives on in etcd until its TTL. `start()`
 * boots a new incarnation on the same disk (recovery included). A start that fails (the
 * store unreachable for `clusterStartTimeoutMs`) leaves the broker down; the simulator
 * starts it again later.
 */
import { parseServerConfig, silentLogger, type Logger } from '@samsa/broker';
import type { SimulatedMetadataStore } from '@samsa/coordinator';
import { startBrokerOn, type RunningBroker } from '@samsa/host';
import { createRandom, type Runtime } from '@samsa/runtime';
import { ProcessFileSystem, SimDisk } from './sim-disk.ts';
import { NodeClock, type SimClock } from './sim-clock.ts';
import type { SimNetwork } from './sim-network.ts';
import { clusterId, etcdNode, ProcessStore, type StoreObserver } from './sim-store.ts';
import type { Trace } from './trace.ts';

export const brokerPortBase = 9090;
export const diskCapacityBytes = 1 << 30;
export const clusterStartTimeoutMs = 30_000;

export interface SimBrokerPlants {
  readonly lyingFsync: boolean;
  readonly electOutsideIsr: boolean;
  readonly ignoreLeaseLoss: boolean;
  /** A planted bug of the replication state machines, through `startBrokerOn`'s `replicationPlantedBugForTesting`. */
  readonly replication: 'hw-is-leader-leo' | 'skip-truncation' | null;
}

export interface SimBrokerOptions {
  readonly nodeId: number;
  readonly seed: number;
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly store: SimulatedMetadataStore;
  readonly observer: StoreObserver;
  readonly trace: Trace;
  readonly plants: SimBrokerPlants;
  /** Extra broker config (`key=value`). */
  readonly overrides: readonly string[];
  /** Where the brokers' log lines go (info and above; `--log`); default nowhere. */
  readonly log?: (line: string) => void;
}

/** A Logger that prints `<simulated s> <node> <level> <msg> <fields>` lines (debug dropped). */
function lineLogger(write: (line: string) => void, now: () => number, bindings: Record<string, unknown>): Logger {
  const at = (level: string) => (obj: object, msg?: string): void => {
    const fields = { ...bindings, ...obj } as Record<string, unknown>;
    if (fields['err'] instanceof Error) fields['err'] = (fields['err'] as Error).message;
    write(`${(now() / 1000).toFixed(3)} ${level} ${msg ?? ''} ${JSON.stringify(fields)}`);
  };
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: (more) => lineLogger(write, now, { ...bindings, ...more }) };
}

interface Process {
  readonly incarnation: number;
  readonly clock: NodeClock;
  readonly fs: ProcessFileSystem;
  readonly store: ProcessStore;
  running: RunningBroker | null;
}

export class SimBroker {
  readonly nodeId: number;
  readonly name: string;
  readonly port: number;
  readonly disk: SimDisk;
  readonly #o: SimBrokerOptions;
  #process: Process | null = null;
  #incarnations = 0;

  constructor(o: SimBrokerOptions) {
    this.#o = o;
    this.nodeId = o.nodeId;
    this.name = `broker-${o.nodeId}`;
    this.port = brokerPortBase + o.nodeId;
    this.disk = new SimDisk(o.clock, diskCapacityBytes);
  }

  /** A process exists (starting or serving). */
  get alive(): boolean {
    return this.#process !== null;
  }

  /** This broker's current process, `name#incarnation` (the last one when down). */
  get process(): string {
    return `${this.name}#${this.#incarnations}`;
  }

  /** The serving broker, or null (down, or still starting). */
  get running(): RunningBroker | null {
    return this.#process?.running ?? null;
  }

  start(): void {
    if (this.#process !== null) throw new Error(`${this.name} is already running`);
    const incarnation = ++this.#incarnations;
    const o = this.#o;
    const clock = new NodeClock(o.clock);
    const fs = new ProcessFileSystem(this.disk.fs, o.plants.lyingFsync);
    const store = new ProcessStore(o.store, { clock: o.clock, random: createRandom((o.seed * 7 + this.nodeId * 131 + incarnation * 65_537) >>> 0), latencyMsMax: 2, reachable: () => !o.network.isBlocked(this.name, etcdNode) }, `${this.name}#${incarnation}`, o.observer, o.plants.electOutsideIsr);
    const process: Process = { incarnation, clock, fs, store, running: null };
    this.#process = process;
    const runtime: Runtime = {
      name: 'memory',
      fs,
      transport: o.network.transportFor(this.name),
      clock,
      random: createRandom((o.seed * 31 + this.nodeId * 1009 + incarnation * 7919) >>> 0),
    };
    const config = parseServerConfig({
      overrides: [
        `listeners=PLAINTEXT://127.0.0.1:${this.port}`,
        'log.dirs=/data',
        `node.id=${this.nodeId}`,
        'metadata.store=etcd',
        'etcd.endpoints=http://etcd.sim:2379',
        `cluster.id=${clusterId}`,
        ...o.overrides,
      ],
    });
    o.trace.event(`${this.name} start #${incarnation}`);
    const logger = o.log === undefined ? silentLogger : lineLogger(o.log, () => o.clock.monotonicMs(), { node: this.nodeId, incarnation });
    const testOnly = {
      ...(o.plants.ignoreLeaseLoss ? { ignoreLeaseLossForTesting: true } : {}),
      ...(o.plants.replication !== null ? { replicationPlantedBugForTesting: o.plants.replication } : {}),
    };
    startBrokerOn(runtime, { config, logger, createMetadataStore: () => store, clusterStartTimeoutMs, ...testOnly }).then(
      (running) => {
        if (this.#process !== process) return;
        process.running = running;
        o.trace.event(`${this.name} up #${incarnation}`);
        running.cluster?.onLeaseChange((valid) => o.trace.event(`${this.name} #${incarnation} lease ${valid ? 'renewed' : 'LOST'}`));
      },
      (error: unknown) => {
        if (this.#process !== process) return;
        o.trace.event(`${this.name} start #${incarnation} failed: ${(error as Error).message}`);
        this.#kill(process);
      },
    );
  }

  /** SIGKILL and power loss; `tearSeed` keeps a seeded torn part of the unsynced writes. */
  crash(tearSeed: number | null): void {
    const process = this.#process;
    if (process === null) return;
    this.#o.trace.fault(`crash ${this.name} #${process.incarnation}${tearSeed === null ? '' : ' (torn writes)'}`);
    this.#kill(process);
    this.disk.crash(tearSeed);
  }

  /** This process's name, whether it leads some partition now (and which, at which leader epoch), and its lease id. */
  leadershipSample(): { readonly process: string; readonly leading: boolean; readonly led: ReadonlyArray<{ readonly tp: string; readonly leaderEpoch: number }>; readonly leaseId: string | null } | null {
    const process = this.#process;
    const running = process?.running;
    if (process === null || running === null || running === undefined || running.cluster === null) return null;
    const led: Array<{ tp: string; leaderEpoch: number }> = [];
    for (const t of running.broker.registry.topics()) for (const p of t.partitions) if (p.isLeader) led.push({ tp: `${p.topic}-${p.index}`, leaderEpoch: p.leaderEpoch });
    return { process: `${this.name}#${process.incarnation}`, leading: led.length > 0, led, leaseId: running.cluster.leaseId };
  }

  /** The end of the simulation: the process goes, nothing more runs (not a fault). */
  halt(): void {
    if (this.#process !== null) this.#kill(this.#process);
  }

  #kill(process: Process): void {
    this.#process = null;
    process.clock.kill();
    process.fs.kill();
    process.store.kill();
    this.#o.network.kill(this.name);
  }
}
