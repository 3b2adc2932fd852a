/**
 * Starts real etcd members (Debian's etcd-server, `etcd` on PATH) for the cluster suites
 * (test/cluster) and the cluster benches: one member, or a three-member cluster for failover.
 *
 * Every member binds 127.0.0.1 only, on free ports, with a fresh temporary data dir, in its
 * own process group (detached) so `stop` kills the group. Waits are bounded polls of the
 * member's gateway. Raft timings are short (heartbeat 50 ms, election 500 ms) so elections
 * and lease expiry take well under a second on a loaded machine. Output is kept, capped,
 * for failure messages. Callers stop members in afterEach/finally.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePort, tempDir } from './broker-process.ts';
import { run } from './child-process.ts';

const HOST = '127.0.0.1';
const OUTPUT_CHARS_MAX = 16_000;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  /** Where the member listens for its peers. */
  readonly peerUrl: string;
  /** What it advertises to its peers (equal to peerUrl unless EtcdOptions.peerPorts differ). */
  readonly advertisedPeerUrl: string;
  /** The member's output so far (capped). */
  output(): string;
  /** SIGKILLs the member's process group and waits for its exit. */
  kill(): Promise<void>;
  /** Starts the member again with the same data dir and ports, and waits until it answers. */
  restart(): Promise<void>;
  get running(): boolean;
  /** The process id while running (its process group id too), else null. */
  get pid(): number | null;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: readonly string[];
  /** Kills every member and removes the data dirs. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EtcdOptions {
  /**
   * Per member (index 0 = m1): the peer port it listens on and the one it advertises to the
   * others. They differ when something sits between the members (the chaos suite's peer
   * router); by default both are one free port.
   */
  readonly peerPorts?: readonly { readonly listen: number; readonly advertise: number }[];
}

/** Starts `size` members (1 or 3) forming one cluster, and waits until each answers. */
export async function startEtcd(size = 1, options: EtcdOptions = {}): Promise<EtcdCluster> {
  if (options.peerPorts !== undefined && options.peerPorts.length !== size) throw new RangeError(`startEtcd: ${options.peerPorts.length} peer port pairs for ${size} members`);
  const dir = tempDir('etcd');
  const specs: { name: string; clientPort: number; peerPort: number; advertisedPeerPort: number }[] = [];
  for (let i = 0; i < size; i++) {
    const given = options.peerPorts?.[i];
    const peerPort = given?.listen ?? (await freePort());
    specs.push({ name: `m${i + 1}`, clientPort: await freePort(), peerPort, advertisedPeerPort: given?.advertise ?? peerPort });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://${HOST}:${s.advertisedPeerPort}`).join(',');
  const token = `samsa-test-${specs[0]!.clientPort}`;
  const members = specs.map((spec) => new Member(spec.name, spec.clientPort, spec.peerPort, spec.advertisedPeerPort, `${dir.path}/${spec.name}`, initialCluster, token));
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
      dir.remove();
    },
  };
  try {
    for (const member of members) member.spawn();
    await Promise.all(members.map((m) => m.waitReady()));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly advertisedPeerUrl: string;
  readonly dataDir: string;
  readonly initialCluster: string;
  readonly token: string;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #output = '';

  constructor(name: string, clientPort: number, peerPort: number, advertisedPeerPort: number, dataDir: string, initialCluster: string, token: string) {
    this.name = name;
    this.dataDir = dataDir;
    this.initialCluster = initialCluster;
    this.token = token;
    this.clientUrl = `http://${HOST}:${clientPort}`;
    this.peerUrl = `http://${HOST}:${peerPort}`;
    this.advertisedPeerUrl = `http://${HOST}:${advertisedPeerPort}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  output(): string {
    return this.#output;
  }

  spawn(): void {
    const args = [
      '--name', this.name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl,
      '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', this.peerUrl,
      '--initial-advertise-peer-urls', this.advertisedPeerUrl,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-token', this.token,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    const child = spawn('etcd', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_CHARS_MAX);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        keep(Buffer.from(`spawn error: ${error.message}\n`));
        resolve();
      });
    });
    this.#child = child;
  }

  /** Polls the gateway until a read answers (each probe bounded by its own timeout). */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = '';
    while (Date.now() < deadline) {
      if (this.#child === null) throw new Error(`etcd ${this.name} is not running:\n${this.#output}`);
      try {
        const response = await fetch(`${this.clientUrl}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}', signal: AbortSignal.timeout(2000) });
        const text = await response.text();
        if (response.ok && text.includes('"header"')) return;
        last = `HTTP ${response.status} ${text}`;
      } catch (error) {
        last = String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`etcd ${this.name} at ${this.clientUrl} not ready within ${READY_TIMEOUT_MS} ms (${last}):\n${this.#output}`);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitReady();
  }
}

/** Runs `etcdctl` against `endpoint`; resolves its stdout, rejects on a non-zero exit. */
export async function etcdctl(endpoint: string, args: readonly string[]): Promise<string> {
  const result = await run('etcdctl', ['--endpoints', endpoint, ...args], { env: { ETCDCTL_API: '3' }, timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.toString('utf8');
}
