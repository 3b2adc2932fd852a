/**
 * A real Samsa cluster as child processes, for the cluster suites (test/cluster) and the
 * cluster benches: one etcd (1 or 3 members, etcd-process.ts) and N brokers, each the built
 * Node broker or the Deno broker from its sources, joined with
 * `broker --node-id <i> --metadata etcd://<endpoints> --port <free> --data-dir <tmp>/broker-<i>`.
 *
 * Ready means: every broker printed its listening line and answered ApiVersions, and (in
 * `etcd` mode) etcd holds a registration for every broker. Node ids are 1..N, in the
 * order of `brokers`.
 *
 * Process hygiene: every child (etcd members and brokers) runs in its own process group
 * (detached) and is signalled as a group, so a broker's own children go with it. `stop()`
 * SIGTERMs every running broker (SIGKILL past its timeout), then kills etcd and removes the
 * temporary dir; it is safe to call twice and must be called in afterEach/finally. A start
 * that fails stops whatever it had started before it throws.
 *
 * Bounds: every wait is a poll with a deadline; captured output is bounded (BoundedCapture);
 * ports are free loopback ports; only 127.0.0.1 is bound.
 *
 * Per-broker settings (`perBroker`, the chaos suite's fault proxies): broker i may get its own
 * `--metadata etcd://…` endpoints (its own proxies in front of the members) and its own
 * `--override`s; an etcd the caller started (`etcd`) is used as is and left running by
 * `stop()` (the caller owns it). Restarts keep a broker's arguments, port and data dir.
 *
 * Mode `local` starts the same processes without `--metadata` (each broker alone on its
 * local store, only `--node-id` set): the harness's own smoke test, and a baseline for
 * the benches.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { v8FlagsArg } from '@samsa/broker-deno/v8-flags';
import { denoPermissions, freePort, tempDir } from './broker-process.ts';
import type { BrokerRuntime } from './broker-process.ts';
import { BoundedCapture, sleep } from './child-process.ts';
import { startEtcd } from './etcd-process.ts';
import type { EtcdCluster } from './etcd-process.ts';
import { etcdRange } from './etcd-read.ts';
import { probeApiVersions } from './kafka-wire.ts';
import { assertBuilt, CLI_PATH, DENO_BIN, DENO_MAIN, HOST, REPO_ROOT } from './repo-paths.ts';

const POLL_MS = 100;
const STOP_TIMEOUT_MS_DEFAULT = 15_000;
const REGISTER_TIMEOUT_MS_DEFAULT = 60_000;
/** The broker default is 9000 ms; a test cluster fails over faster. */
export const SESSION_TIMEOUT_MS_DEFAULT = 3000;

export type ClusterMetadataMode = 'etcd' | 'local';

export interface ClusterOptions {
  /** One runtime per broker; node ids are 1..N in this order. */
  readonly brokers: readonly BrokerRuntime[];
  /** etcd members (default 1). */
  readonly etcdMembers?: 1 | 3;
  /** `cluster.id` (default 'samsa', the broker default, which is then not passed). */
  readonly clusterId?: string;
  /** `broker.session.timeout.ms` (default SESSION_TIMEOUT_MS_DEFAULT). */
  readonly sessionTimeoutMs?: number;
  /** `broker.heartbeat.interval.ms` (default: a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
  /** More `--override key=value` entries, for every broker. */
  readonly overrides?: readonly string[];
  /** Default 'etcd'; see the file comment for 'local'. */
  readonly metadata?: ClusterMetadataMode;
  /** The brokers' --log-level (default 'warn'). */
  readonly logLevel?: string;
  /** How long a broker may take to listen (default 30 s Node, 90 s Deno: its first start compiles). */
  readonly readyTimeoutMs?: number;
  /** How long to wait for all registrations in etcd (default 60 s). */
  readonly registerTimeoutMs?: number;
  /** An etcd the caller started and stops itself (default: one started here, `etcdMembers`). */
  readonly etcd?: EtcdCluster;
  /** Per broker, in `brokers` order: its own metadata URL and extra overrides (see the file comment). */
  readonly perBroker?: readonly BrokerSettings[];
}

/** One broker's own settings (ClusterOptions.perBroker). */
export interface BrokerSettings {
  /** This broker's `--metadata` value (`etcd://host:port,…`); default: the cluster's, straight to the members. */
  readonly metadataUrl?: string;
  /** More `--override key=value` entries for this broker only (after the cluster-wide ones). */
  readonly overrides?: readonly string[];
  /** This broker's client port; default a fresh one from freePort (the chaos suite fixes it to proxy the controller link). */
  readonly port?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ClusterBroker {
  readonly nodeId: number;
  readonly runtime: BrokerRuntime;
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** The process (and process group) id while running, else null. */
  get pid(): number | null;
  get running(): boolean;
  /** stdout + stderr of the current (or last) run, bounded. */
  output(): string;
  /** How the last run ended (waits for it). */
  exited(): Promise<ExitInfo>;
  /** SIGKILL the process group, wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM the process group, wait (SIGKILL after `timeoutMs`); resolves the exit. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /**
   * Starts the broker again (same node id, port and data dir) after kill/stop, and waits
   * until it listens and (etcd mode) holds a registration with a lease other than the
   * one it held before.
   */
  restart(): Promise<void>;
}

export interface Cluster {
  readonly etcd: EtcdCluster;
  readonly brokers: readonly ClusterBroker[];
  readonly clusterId: string;
  /** `/samsa/<cluster id>/`: the root of the cluster's keys. */
  readonly keysRoot: string;
  readonly sessionTimeoutMs: number;
  /** `etcd://host:port,…`: the value of the brokers' --metadata flag. */
  readonly metadataUrl: string;
  /** The running brokers, comma-separated (a bootstrap list). */
  bootstrap(): string;
  broker(nodeId: number): ClusterBroker;
  /** Broker ids with a registration key in etcd, ascending. */
  registeredBrokerIds(): Promise<number[]>;
  /** The registration's lease id of `nodeId`, or null when it is not registered. */
  registrationLease(nodeId: number): Promise<string | null>;
  /** The broker holding the controller key and the key's createRevision, or null. */
  controller(): Promise<{ readonly brokerId: number; readonly epoch: number } | null>;
  /** Polls until registered ids equal `ids` (sorted compare). */
  waitForRegistrations(ids: readonly number[], timeoutMs?: number): Promise<void>;
  /** Stops brokers (SIGTERM, then SIGKILL), etcd, removes the temp dir. Safe twice. */
  stop(): Promise<void>;
}

/** Thrown by a `pollUntil` check to stop polling at once (a process it waits on died). */
export class PollAborted extends Error {
  override readonly name = 'PollAborted';
}

/**
 * Polls `check` every POLL_MS until it resolves true; throws naming `what` past `timeoutMs`.
 * A check that throws is retried (a request to a process still starting may fail), except
 * with PollAborted, which ends the poll at once.
 */
export async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof PollAborted) throw error;
      last = ` (last error: ${error instanceof Error ? error.message : String(error)})`;
    }
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last}`);
    await sleep(POLL_MS);
  }
}

/** True while a process group has a live member (signal 0 to the group). */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

interface BrokerSpec {
  readonly nodeId: number;
  readonly runtime: BrokerRuntime;
  readonly port: number;
  readonly dataDir: string;
  readonly args: readonly string[];
  readonly readyTimeoutMs: number;
}

class BrokerChild implements ClusterBroker {
  readonly nodeId: number;
  readonly runtime: BrokerRuntime;
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly #spec: BrokerSpec;
  readonly #cluster: ClusterImpl;
  #child: ChildProcess | null = null;
  #exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #out = new BoundedCapture();

  constructor(spec: BrokerSpec, cluster: ClusterImpl) {
    this.#spec = spec;
    this.#cluster = cluster;
    this.nodeId = spec.nodeId;
    this.runtime = spec.runtime;
    this.port = spec.port;
    this.bootstrap = `${HOST}:${spec.port}`;
    this.dataDir = spec.dataDir;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  output(): string {
    return this.#out.text();
  }

  exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  spawn(): void {
    if (this.#child !== null) throw new Error(`broker ${this.nodeId} is running already`);
    const [command, args] = this.#commandLine();
    const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#out = new BoundedCapture();
    const out = this.#out;
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => out.push(c));
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = null;
        resolve({ code, signal });
      });
      child.once('error', (error) => {
        out.push(Buffer.from(`spawn error: ${error.message}\n`));
        if (this.#child === child) this.#child = null;
        resolve({ code: null, signal: null });
      });
    });
    this.#child = child;
  }

  #commandLine(): [string, string[]] {
    const args = ['--node-id', String(this.nodeId), '--host', HOST, '--port', String(this.port), '--data-dir', this.dataDir, ...this.#spec.args];
    if (this.runtime === 'node') return [process.execPath, [CLI_PATH, 'broker', ...args]];
    return [DENO_BIN, ['run', v8FlagsArg(), ...denoPermissions(this.dataDir), DENO_MAIN, ...args]];
  }

  /** Waits for the listening line and an ApiVersions answer; fails at once if the broker exits. */
  async waitListening(): Promise<void> {
    const child = this.#child;
    const deadline = performance.now() + this.#spec.readyTimeoutMs;
    for (;;) {
      if (this.#child !== child || child === null) throw new Error(`broker ${this.nodeId} exited before it was ready:\n${this.output().slice(-4000)}`);
      if (this.output().includes('listening on') && (await probeApiVersions(this.port).catch(() => false))) return;
      if (performance.now() > deadline) {
        throw new Error(`broker ${this.nodeId} (${this.runtime}) not listening on ${this.bootstrap} within ${this.#spec.readyTimeoutMs} ms:\n${this.output().slice(-4000)}`);
      }
      await sleep(POLL_MS);
    }
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    signalGroup(child.pid!, 'SIGKILL');
    await this.#exited;
    signalGroup(child.pid!, 'SIGKILL');
  }

  async stop(timeoutMs = STOP_TIMEOUT_MS_DEFAULT): Promise<ExitInfo> {
    const child = this.#child;
    if (child === null) return this.#exited;
    signalGroup(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), timeoutMs);
    const info = await this.#exited;
    clearTimeout(timer);
    // Anything the broker left in its group goes too.
    signalGroup(child.pid!, 'SIGKILL');
    return info;
  }

  async restart(): Promise<void> {
    if (this.#child !== null) throw new Error(`broker ${this.nodeId} is still running: kill or stop it first`);
    const leaseBefore = this.#cluster.mode === 'etcd' ? await this.#cluster.registrationLease(this.nodeId) : null;
    this.spawn();
    await this.waitListening();
    if (this.#cluster.mode !== 'etcd') return;
    await pollUntil(`broker ${this.nodeId} registered again`, this.#cluster.registerTimeoutMs, async () => {
      if (!this.running) throw new PollAborted(`broker ${this.nodeId} exited before it registered again:\n${this.output().slice(-4000)}`);
      const lease = await this.#cluster.registrationLease(this.nodeId);
      return lease !== null && lease !== leaseBefore;
    });
  }
}

class ClusterImpl implements Cluster {
  readonly etcd: EtcdCluster;
  readonly brokers: BrokerChild[] = [];
  readonly clusterId: string;
  readonly keysRoot: string;
  readonly sessionTimeoutMs: number;
  readonly metadataUrl: string;
  readonly mode: ClusterMetadataMode;
  readonly registerTimeoutMs: number;
  readonly #dir: { path: string; remove: () => void };
  readonly #ownsEtcd: boolean;
  #stopped = false;

  constructor(etcd: EtcdCluster, dir: { path: string; remove: () => void }, options: ClusterOptions) {
    this.etcd = etcd;
    this.#dir = dir;
    this.#ownsEtcd = options.etcd === undefined;
    this.clusterId = options.clusterId ?? 'samsa';
    this.keysRoot = `/samsa/${this.clusterId}/`;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS_DEFAULT;
    this.metadataUrl = `etcd://${etcd.endpoints.map((e) => e.replace(/^https?:\/\//, '')).join(',')}`;
    this.mode = options.metadata ?? 'etcd';
    this.registerTimeoutMs = options.registerTimeoutMs ?? REGISTER_TIMEOUT_MS_DEFAULT;
  }

  get dir(): string {
    return this.#dir.path;
  }

  brokerArgs(options: ClusterOptions, own: BrokerSettings = {}): string[] {
    const args = ['--log-level', options.logLevel ?? 'warn'];
    if (this.mode === 'etcd') {
      args.push('--metadata', own.metadataUrl ?? this.metadataUrl, '--override', `broker.session.timeout.ms=${this.sessionTimeoutMs}`);
      // Three keepalives per lease window, Kafka's ratio (2 s of 9 s would leave one here).
      args.push('--override', `broker.heartbeat.interval.ms=${options.heartbeatIntervalMs ?? Math.max(100, Math.floor(this.sessionTimeoutMs / 3))}`);
      if (options.clusterId !== undefined) args.push('--override', `cluster.id=${options.clusterId}`);
    }
    for (const o of [...(options.overrides ?? []), ...(own.overrides ?? [])]) args.push('--override', o);
    return args;
  }

  bootstrap(): string {
    return this.brokers.filter((b) => b.running).map((b) => b.bootstrap).join(',');
  }

  broker(nodeId: number): ClusterBroker {
    const b = this.brokers.find((x) => x.nodeId === nodeId);
    if (b === undefined) throw new Error(`no broker ${nodeId} (have ${this.brokers.map((x) => x.nodeId).join(', ')})`);
    return b;
  }

  async registeredBrokerIds(): Promise<number[]> {
    const { entries } = await etcdRange(this.etcd.endpoints, `${this.keysRoot}brokers/`);
    return entries.map((e) => Number(e.key.slice(e.key.lastIndexOf('/') + 1))).sort((a, b) => a - b);
  }

  async registrationLease(nodeId: number): Promise<string | null> {
    const key = `${this.keysRoot}brokers/${String(nodeId).padStart(10, '0')}`;
    const { entries } = await etcdRange(this.etcd.endpoints, key);
    return entries.find((e) => e.key === key)?.lease ?? null;
  }

  async controller(): Promise<{ brokerId: number; epoch: number } | null> {
    const key = `${this.keysRoot}controller`;
    const { entries } = await etcdRange(this.etcd.endpoints, key);
    const entry = entries.find((e) => e.key === key);
    if (entry === undefined) return null;
    const record = JSON.parse(entry.value) as { brokerId?: unknown };
    return typeof record.brokerId === 'number' ? { brokerId: record.brokerId, epoch: entry.createRevision } : null;
  }

  async waitForRegistrations(ids: readonly number[], timeoutMs = this.registerTimeoutMs): Promise<void> {
    const want = [...ids].sort((a, b) => a - b).join(',');
    let have = '';
    await pollUntil(`registrations of brokers [${want}] in etcd`, timeoutMs, async () => {
      const dead = this.brokers.find((b) => ids.includes(b.nodeId) && !b.running);
      if (dead !== undefined) throw new PollAborted(`broker ${dead.nodeId} exited before it registered:\n${dead.output().slice(-4000)}`);
      have = (await this.registeredBrokerIds()).join(',');
      return have === want;
    }).catch((error: unknown) => {
      const outputs = this.brokers.map((b) => `--- broker ${b.nodeId} ---\n${b.output().slice(-2000)}`).join('\n');
      throw new Error(`${error instanceof Error ? error.message : String(error)} (registered: [${have}])\n${outputs}`);
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await Promise.all(this.brokers.map((b) => b.stop()));
    } finally {
      if (this.#ownsEtcd) await this.etcd.stop();
      this.#dir.remove();
    }
  }
}

/** Starts etcd and the brokers and waits until all are ready (see the file comment). */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.brokers.length === 0) throw new RangeError('a cluster needs at least one broker');
  if (options.brokers.includes('node')) assertBuilt();
  if (options.perBroker !== undefined && options.perBroker.length !== options.brokers.length) {
    throw new RangeError(`perBroker has ${options.perBroker.length} entries for ${options.brokers.length} brokers`);
  }
  const dir = tempDir('cluster');
  let etcd: EtcdCluster;
  try {
    etcd = options.etcd ?? (await startEtcd(options.etcdMembers ?? 1));
  } catch (error) {
    dir.remove();
    throw error;
  }
  const cluster = new ClusterImpl(etcd, dir, options);
  try {
    for (let i = 0; i < options.brokers.length; i++) {
      const args = cluster.brokerArgs(options, options.perBroker?.[i]);
      const runtime = options.brokers[i]!;
      const dataDir = join(cluster.dir, `broker-${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      const readyTimeoutMs = options.readyTimeoutMs ?? (runtime === 'deno' ? 90_000 : 30_000);
      cluster.brokers.push(new BrokerChild({ nodeId: i + 1, runtime, port: options.perBroker?.[i]?.port ?? (await freePort()), dataDir, args, readyTimeoutMs }, cluster));
    }
    for (const b of cluster.brokers) b.spawn();
    await Promise.all(cluster.brokers.map((b) => b.waitListening()));
    if (cluster.mode === 'etcd') await cluster.waitForRegistrations(cluster.brokers.map((b) => b.nodeId));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
