/**
 * The fault-injectable cluster of the chaos suite (issue 15): on 127.0.0.1 only, a
 * three-member etcd cluster, three Samsa brokers (Node or Deno, ids 1..3), and a FaultProxy
 * (fault-proxy.ts) on every directed link that can be faulted:
 *
 * - broker i → etcd member j (9 proxies): broker i's `--metadata etcd://…` lists its own
 *   three proxies, so its lease keepalives, watches and transactions all pass through them;
 * - follower broker i → leader broker j's replica-fetch listener (6 proxies, i ≠ j): every
 *   broker's replica listener has a fixed port (`replica.listener`, chosen before anything
 *   starts) and broker i's `replica.fetch.endpoint.overrides` maps j to the proxy i→j;
 * - etcd member i → etcd member j (6 proxies): member j advertises the port of its peer
 *   router (peer-router.ts), which reads each connection's first request head and sends it
 *   on through the proxy e_i → e_j; so a partition splits etcd's own quorum too.
 *
 * Not proxied: every client (tests, nemesis, librdkafka, KafkaJS) talks straight to the
 * brokers' Kafka ports (`bootstrap()`) and to the etcd members (the queries below read etcd
 * directly); etcd peer requests that name no sender pass unless their member is cut from
 * both others (peer-router.ts).
 *
 * Nodes are named `b1..b3` and `e1..e3`. A link is blocked by setting its proxy to
 * blackhole both directions and cutting its open connections (the proxy's definition of a
 * partition: nothing gets through, and existing connections notice). Blocks add up until
 * `heal()`, which sets every proxy back to pass (held bytes then flow on, in order).
 * `partition(A, B)` blocks every link with one end in A and the other in B; so a
 * majority/minority split cuts the minority's brokers and etcd member from the majority's,
 * and the minority's etcd member, having no quorum, serves no write or linearizable read.
 *
 * Faults are methods that return once applied; each is recorded in `faults` as
 * { atMs (wall clock when asked), appliedMs (how long applying took), fault, detail }, at
 * most FAULTS_MAX entries (the oldest go first, `faultsDropped` counts them).
 *
 * Process hygiene: brokers and etcd members run in their own process groups (see
 * @samsa/bench's cluster-process.ts and etcd-process.ts). `stop()` resumes paused brokers,
 * stops every broker and member, closes the proxies and removes the temporary dirs; it is
 * idempotent, and runs for every live cluster on SIGINT/SIGTERM of the runner (then the
 * runner exits); a plain exit SIGKILLs whatever is still running.
 *
 * Randomness: only the proxies' delay jitter, from a generator seeded by `seed` (printed
 * by the nemesis so a run repeats).
 */
import { createRandom, etcdLeaderIndex, etcdRange, freePort, HOST, pollUntil, startCluster, startEtcd } from '@samsa/bench';
import type { BrokerRuntime, Cluster, EtcdCluster } from '@samsa/bench';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { startPeerRouter } from './peer-router.ts';
import type { PeerRouter } from './peer-router.ts';

/** A broker (`b1..b3`) or an etcd member (`e1..e3`). */
export type ChaosNode = 'b1' | 'b2' | 'b3' | 'e1' | 'e2' | 'e3';

export const BROKER_NODES: readonly ChaosNode[] = ['b1', 'b2', 'b3'];
export const ETCD_NODES: readonly ChaosNode[] = ['e1', 'e2', 'e3'];
export const ALL_NODES: readonly ChaosNode[] = [...BROKER_NODES, ...ETCD_NODES];
/** Most fault records kept. */
export const FAULTS_MAX = 10_000;

export interface ChaosLink {
  readonly from: ChaosNode;
  readonly to: ChaosNode;
  /**
   * 'etcd': broker → etcd client port; 'replica': follower → leader's replica listener;
   * 'controller': broker → another broker's client port, dialled only to forward admin
   * requests and AlterPartition when that broker is the controller
   * (`controller.endpoint.overrides`); 'peer': etcd member → etcd member.
   */
  readonly kind: 'etcd' | 'replica' | 'controller' | 'peer';
  readonly proxy: FaultProxy;
}

export interface FaultRecord {
  /** Wall-clock ms (Date.now) when the fault was asked for. */
  readonly atMs: number;
  /** How long applying it took. */
  readonly appliedMs: number;
  readonly fault: string;
  readonly detail: string;
}

export interface ChaosClusterOptions {
  /** Exactly three runtimes; broker ids 1..3 in this order. */
  readonly brokers: readonly BrokerRuntime[];
  /** `broker.session.timeout.ms` (default @samsa/bench's SESSION_TIMEOUT_MS_DEFAULT, 3000). */
  readonly sessionTimeoutMs?: number;
  /** More `--override key=value` entries for every broker. */
  readonly overrides?: readonly string[];
  /** Seeds the proxies' delay jitter (default 1). */
  readonly seed?: number;
  /** The brokers' --log-level (default 'warn'; 'info' logs ISR proposals and elections, for diagnosis). */
  readonly logLevel?: string;
}

export interface ChaosCluster {
  /** The underlying process cluster (brokers 1..3, `cluster.etcd` the members). */
  readonly cluster: Cluster;
  readonly etcd: EtcdCluster;
  readonly links: readonly ChaosLink[];
  readonly seed: number;
  readonly faults: readonly FaultRecord[];
  readonly faultsDropped: number;
  /** The link proxy from → to (throws for a pair that has none). */
  link(from: ChaosNode, to: ChaosNode): ChaosLink;
  /** Links blocked now, as `from→to`. */
  blocked(): string[];

  kill(broker: number): Promise<void>;
  pause(broker: number): Promise<void>;
  resume(broker: number): Promise<void>;
  restart(broker: number): Promise<void>;
  start(broker: number): Promise<void>;
  isolate(node: ChaosNode): Promise<void>;
  partition(groupA: readonly ChaosNode[], groupB: readonly ChaosNode[]): Promise<void>;
  cutFromEtcd(broker: number): Promise<void>;
  heal(): Promise<void>;
  killEtcd(member: number): Promise<void>;
  startEtcd(member: number): Promise<void>;
  killAll(): Promise<void>;
  startAll(): Promise<void>;

  /** The controller's broker id from etcd, or null when no broker holds the key. */
  controller(): Promise<number | null>;
  /** The partition's leader from its record in etcd (-1: none; null: no such partition). */
  leaderOf(topic: string, partition: number): Promise<number | null>;
  /** The etcd raft leader's member number (1..3), or -1 when none is known. */
  etcdLeader(): Promise<number>;
  /** The running brokers' own Kafka addresses, comma-separated (clients bypass the proxies). */
  bootstrap(): string;
  /** Polls until every broker is registered and every partition of `topic` has a leader and a full ISR. */
  waitHealthy(topic: string, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A partition record as etcd holds it (fields the harness reads). */
export interface EtcdPartitionState {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

const live = new Set<ChaosClusterImpl>();

/** Starts the peer routers, etcd, the 27 proxies and the brokers, and waits until all brokers are registered. */
export async function startChaosCluster(options: ChaosClusterOptions): Promise<ChaosCluster> {
  if (options.brokers.length !== 3) throw new RangeError(`a chaos cluster has 3 brokers, got ${options.brokers.length}`);
  const seed = options.seed ?? 1;
  const impl = new ChaosClusterImpl(seed);
  live.add(impl);
  installSignalHandlers();
  try {
    await impl.boot(options);
  } catch (error) {
    await impl.stop();
    throw error;
  }
  return impl;
}

/** [0, 1) numbers from a 32-bit seed (the runtime's seeded Random). */
export function seededRandom(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.next();
}

/** The links crossing between two disjoint node groups (both directions). */
export function crossingLinks<L extends { readonly from: ChaosNode; readonly to: ChaosNode }>(links: readonly L[], groupA: readonly ChaosNode[], groupB: readonly ChaosNode[]): L[] {
  checkGroups(groupA, groupB);
  const a = new Set(groupA);
  const b = new Set(groupB);
  return links.filter((l) => (a.has(l.from) && b.has(l.to)) || (b.has(l.from) && a.has(l.to)));
}

function checkGroups(groupA: readonly ChaosNode[], groupB: readonly ChaosNode[]): void {
  for (const n of [...groupA, ...groupB]) if (!ALL_NODES.includes(n)) throw new RangeError(`unknown node '${String(n)}' (nodes: ${ALL_NODES.join(', ')})`);
  if (groupA.length === 0 || groupB.length === 0) throw new RangeError('a partition needs two non-empty groups');
  const overlap = groupA.filter((n) => groupB.includes(n));
  if (overlap.length > 0) throw new RangeError(`nodes in both groups: ${overlap.join(', ')}`);
}

function checkMember(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 3) throw new RangeError(`${what} must be 1, 2 or 3, got ${n}`);
}

class ChaosClusterImpl implements ChaosCluster {
  readonly seed: number;
  readonly faults: FaultRecord[] = [];
  faultsDropped = 0;
  readonly #links: ChaosLink[] = [];
  readonly #blocked = new Set<ChaosLink>();
  readonly #paused = new Set<number>();
  readonly #routers: PeerRouter[] = [];
  #etcd: EtcdCluster | null = null;
  #cluster: Cluster | null = null;
  #stopped = false;

  constructor(seed: number) {
    this.seed = seed;
  }

  get cluster(): Cluster {
    if (this.#cluster === null) throw new Error('the chaos cluster is not started');
    return this.#cluster;
  }

  get etcd(): EtcdCluster {
    if (this.#etcd === null) throw new Error('the chaos cluster is not started');
    return this.#etcd;
  }

  get links(): readonly ChaosLink[] {
    return this.#links;
  }

  async boot(options: ChaosClusterOptions): Promise<void> {
    const random = seededRandom(this.seed);
    await this.#bootEtcd(random);
    const etcdPorts = this.etcd.members.map((m) => Number(new URL(m.clientUrl).port));
    const replicaPorts = [await freePort(), await freePort(), await freePort()];
    const clientPorts = [await freePort(), await freePort(), await freePort()];
    for (let i = 1; i <= 3; i++) {
      for (let j = 1; j <= 3; j++) {
        await this.#addLink(`b${i}` as ChaosNode, `e${j}` as ChaosNode, 'etcd', etcdPorts[j - 1]!, random);
        if (i !== j) await this.#addLink(`b${i}` as ChaosNode, `b${j}` as ChaosNode, 'replica', replicaPorts[j - 1]!, random);
        if (i !== j) await this.#addLink(`b${i}` as ChaosNode, `b${j}` as ChaosNode, 'controller', clientPorts[j - 1]!, random);
      }
    }
    const proxyPorts = new Set(this.#links.map((l) => l.proxy.port));
    const brokerPorts = [...replicaPorts, ...clientPorts];
    if (brokerPorts.some((p) => proxyPorts.has(p)) || new Set(brokerPorts).size !== 6) throw new Error(`port clash between broker listeners ${brokerPorts.join(',')} and proxies`);
    const overridesTo = (i: number, kind: ChaosLink['kind']): string =>
      [1, 2, 3]
        .filter((j) => j !== i)
        .map((j) => `${j}=${HOST}:${this.link(`b${i}` as ChaosNode, `b${j}` as ChaosNode, kind).proxy.port}`)
        .join(',');
    const perBroker = [1, 2, 3].map((i) => ({
      metadataUrl: `etcd://${ETCD_NODES.map((e) => `${HOST}:${this.link(`b${i}` as ChaosNode, e).proxy.port}`).join(',')}`,
      port: clientPorts[i - 1]!,
      overrides: [`replica.listener=${HOST}:${replicaPorts[i - 1]!}`, `replica.fetch.endpoint.overrides=${overridesTo(i, 'replica')}`, `controller.endpoint.overrides=${overridesTo(i, 'controller')}`],
    }));
    this.#cluster = await startCluster({
      brokers: options.brokers,
      etcd: this.#etcd,
      perBroker,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      overrides: options.overrides ?? [],
    });
  }

  /**
   * etcd with its peer links proxied: member j listens for peers on a port of its own and
   * advertises its router's port; the router sends each connection from member i through
   * the fault proxy e_i → e_j (peer-router.ts). Unattributed peer requests pass unless j is
   * cut from both other members.
   */
  async #bootEtcd(random: () => number): Promise<void> {
    const memberPeerPorts = [await freePort(), await freePort(), await freePort()];
    const routerPorts: number[] = [];
    for (let j = 1; j <= 3; j++) {
      const to = `e${j}` as ChaosNode;
      const router = await startPeerRouter({
        name: to,
        memberPort: memberPeerPorts[j - 1]!,
        routeFor: (urls) => {
          const sender = routerPorts.findIndex((port) => urls.includes(`http://${HOST}:${port}`));
          if (sender < 0 || sender === j - 1) return null;
          return this.link(`e${sender + 1}` as ChaosNode, to).proxy.port;
        },
        unattributedOpen: () => this.#links.filter((l) => l.kind === 'peer' && l.to === to).some((l) => !this.#blocked.has(l)),
      }, await freePort());
      this.#routers.push(router);
      routerPorts.push(router.port);
    }
    for (let i = 1; i <= 3; i++) {
      for (let j = 1; j <= 3; j++) if (i !== j) await this.#addLink(`e${i}` as ChaosNode, `e${j}` as ChaosNode, 'peer', memberPeerPorts[j - 1]!, random);
    }
    this.#etcd = await startEtcd(3, { peerPorts: memberPeerPorts.map((listen, i) => ({ listen, advertise: routerPorts[i]! })) });
  }

  async #addLink(from: ChaosNode, to: ChaosNode, kind: ChaosLink['kind'], port: number, random: () => number): Promise<void> {
    // A port from freePort, not the OS's choice: the OS may hand a proxy a port freePort gave
    // earlier to a member or a broker that has not bound it yet (seen: a replica listener's).
    const proxy = await startFaultProxy({ target: { host: HOST, port }, name: linkName(from, to, kind), random, port: await freePort() });
    this.#links.push({ from, to, kind, proxy });
  }

  link(from: ChaosNode, to: ChaosNode, kind?: ChaosLink['kind']): ChaosLink {
    const l = this.#links.find((x) => x.from === from && x.to === to && (kind === undefined || x.kind === kind));
    if (l === undefined) throw new RangeError(`no proxied ${kind ?? ''} link ${from}->${to}`);
    return l;
  }

  blocked(): string[] {
    return [...this.#blocked].map((l) => linkName(l.from, l.to, l.kind)).sort();
  }

  async #record(fault: string, detail: string, apply: () => Promise<void>): Promise<void> {
    const atMs = Date.now();
    const t0 = performance.now();
    await apply();
    if (this.faults.length >= FAULTS_MAX) {
      this.faults.shift();
      this.faultsDropped++;
    }
    this.faults.push({ atMs, appliedMs: Math.round(performance.now() - t0), fault, detail });
  }

  #pid(broker: number): number {
    checkMember(broker, 'broker');
    const pid = this.cluster.broker(broker).pid;
    if (pid === null) throw new Error(`broker ${broker} is not running`);
    return pid;
  }

  kill(broker: number): Promise<void> {
    return this.#record('kill', `b${broker} SIGKILL`, async () => {
      checkMember(broker, 'broker');
      await this.cluster.broker(broker).kill();
      this.#paused.delete(broker);
    });
  }

  pause(broker: number): Promise<void> {
    return this.#record('pause', `b${broker} SIGSTOP`, async () => {
      process.kill(-this.#pid(broker), 'SIGSTOP');
      this.#paused.add(broker);
    });
  }

  resume(broker: number): Promise<void> {
    return this.#record('resume', `b${broker} SIGCONT`, async () => {
      process.kill(-this.#pid(broker), 'SIGCONT');
      this.#paused.delete(broker);
    });
  }

  restart(broker: number): Promise<void> {
    return this.#record('restart', `b${broker} SIGTERM, start again`, async () => {
      checkMember(broker, 'broker');
      const b = this.cluster.broker(broker);
      if (this.#paused.delete(broker) && b.pid !== null) process.kill(-b.pid, 'SIGCONT');
      await b.stop();
      await b.restart();
    });
  }

  start(broker: number): Promise<void> {
    return this.#record('start', `b${broker}`, async () => {
      checkMember(broker, 'broker');
      await this.cluster.broker(broker).restart();
    });
  }

  #block(links: readonly ChaosLink[]): void {
    for (const l of links) {
      l.proxy.set({ kind: 'blackhole', direction: 'both' });
      l.proxy.cut();
      this.#blocked.add(l);
    }
  }

  isolate(node: ChaosNode): Promise<void> {
    return this.#record('isolate', node, async () => {
      this.#block(crossingLinks(this.#links, [node], ALL_NODES.filter((n) => n !== node)));
    });
  }

  partition(groupA: readonly ChaosNode[], groupB: readonly ChaosNode[]): Promise<void> {
    return this.#record('partition', `${groupA.join(',')} | ${groupB.join(',')}`, async () => {
      this.#block(crossingLinks(this.#links, groupA, groupB));
    });
  }

  cutFromEtcd(broker: number): Promise<void> {
    return this.#record('cut-from-etcd', `b${broker}`, async () => {
      checkMember(broker, 'broker');
      this.#block(this.#links.filter((l) => l.from === `b${broker}` && l.kind === 'etcd'));
    });
  }

  heal(): Promise<void> {
    return this.#record('heal', this.blocked().join(' ') || '(nothing blocked)', async () => {
      for (const l of this.#blocked) l.proxy.set({ kind: 'pass' });
      this.#blocked.clear();
    });
  }

  killEtcd(member: number): Promise<void> {
    return this.#record('kill-etcd', `e${member} SIGKILL`, async () => {
      checkMember(member, 'etcd member');
      await this.etcd.members[member - 1]!.kill();
    });
  }

  startEtcd(member: number): Promise<void> {
    return this.#record('start-etcd', `e${member}`, async () => {
      checkMember(member, 'etcd member');
      await this.etcd.members[member - 1]!.restart();
    });
  }

  killAll(): Promise<void> {
    return this.#record('kill-all', 'SIGKILL every broker and etcd member', async () => {
      await Promise.all([...this.cluster.brokers.map((b) => b.kill()), ...this.etcd.members.map((m) => m.kill())]);
      this.#paused.clear();
    });
  }

  startAll(): Promise<void> {
    return this.#record('start-all', 'etcd members, then brokers, same data', async () => {
      await Promise.all(this.etcd.members.filter((m) => !m.running).map((m) => m.restart()));
      await Promise.all(this.cluster.brokers.filter((b) => !b.running).map((b) => b.restart()));
    });
  }

  async controller(): Promise<number | null> {
    return (await this.cluster.controller())?.brokerId ?? null;
  }

  async partitions(topic: string): Promise<EtcdPartitionState[]> {
    const { entries } = await etcdRange(this.etcd.endpoints, `${this.cluster.keysRoot}partitions/${topic}/`);
    return entries.map((e) => JSON.parse(e.value) as EtcdPartitionState).sort((a, b) => a.partition - b.partition);
  }

  async leaderOf(topic: string, partition: number): Promise<number | null> {
    return (await this.partitions(topic)).find((p) => p.partition === partition)?.leader ?? null;
  }

  async etcdLeader(): Promise<number> {
    const index = await etcdLeaderIndex(this.etcd.endpoints);
    return index < 0 ? -1 : index + 1;
  }

  bootstrap(): string {
    return this.cluster.bootstrap();
  }

  async waitHealthy(topic: string, timeoutMs: number): Promise<void> {
    let seen = '';
    await pollUntil(`cluster healthy for ${topic}`, timeoutMs, async () => {
      const ids = await this.cluster.registeredBrokerIds();
      const { entries } = await etcdRange(this.etcd.endpoints, `${this.cluster.keysRoot}topics/${topic}`);
      const record = entries.find((e) => e.key === `${this.cluster.keysRoot}topics/${topic}`);
      const parts = await this.partitions(topic);
      seen = JSON.stringify({ registered: ids, partitions: parts.map((p) => ({ p: p.partition, leader: p.leader, isr: p.isr, replicas: p.replicas })) });
      if (ids.join(',') !== '1,2,3' || record === undefined) return false;
      const count = (JSON.parse(record.value) as { partitionCount: number }).partitionCount;
      return parts.length === count && parts.every((p) => p.leader >= 0 && p.isr.includes(p.leader) && p.isr.length === p.replicas.length);
    }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen ${seen}`);
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      for (const id of this.#paused) {
        const pid = this.#cluster?.broker(id).pid;
        if (pid !== null && pid !== undefined) signalQuietly(pid, 'SIGCONT');
      }
      this.#paused.clear();
      await this.#cluster?.stop();
    } finally {
      try {
        // Routers first: etcd members dying one by one would otherwise redial each other
        // through them while the proxies close.
        await Promise.all(this.#routers.map((r) => r.close()));
        await this.#etcd?.stop();
      } finally {
        await Promise.all(this.#links.map((l) => l.proxy.close()));
        live.delete(this);
      }
    }
  }

  /** Synchronous last resort (process exit): SIGKILL every process group still running. */
  killNow(): void {
    for (const b of this.#cluster?.brokers ?? []) if (b.pid !== null) signalQuietly(b.pid, 'SIGKILL');
    for (const m of this.#etcd?.members ?? []) if (m.pid !== null) signalQuietly(m.pid, 'SIGKILL');
  }
}

function signalQuietly(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}

let handlersInstalled = false;

/** On SIGINT/SIGTERM: stop every live cluster, then exit; on exit: SIGKILL what is left. */
function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    void Promise.allSettled([...live].map((c) => c.stop())).then(() => process.exit(code));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const c of live) c.killNow();
  });
}

/** `b1->b2`, or `b1->b2:controller` for the second link between two brokers (proxy names, blocked(), fault details). */
function linkName(from: ChaosNode, to: ChaosNode, kind: ChaosLink['kind']): string {
  return kind === 'controller' ? `${from}->${to}:controller` : `${from}->${to}`;
}
