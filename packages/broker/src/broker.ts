/**
 * Broker: the runtime-free single-node Kafka broker.
 *
 *   const broker = await Broker.open({ config, fs, clock, random, logs, logger, metrics });
 *   await broker.listen(transport);          // or: transport.listen(..., c => broker.attach(c))
 *   ...
 *   await broker.shutdown();
 *
 * It owns the topic registry (metadata in `<log.dirs[0]>/samsa-metadata.kv`, partition
 * logs through the PartitionLogStore), one ConnectionSession per client connection and
 * the handler table. Files, sockets and time come in through @samsa/runtime interfaces.
 *
 * Limits: `max.connections` and `max.connections.per.ip` (over either, a new connection
 * is closed at once; at max.connections the connection idle the longest, if idle ≥ 5 s,
 * is closed instead to make room), `socket.request.max.bytes` (frame size, checked from the length
 * prefix), `queued.max.request.bytes` (request bytes held by all connections together,
 * reserved from a RequestMemoryPool when a frame's prefix arrives; a connection waits
 * with its socket paused when the pool is full; while anyone waits, connections whose
 * clients stall ≥ 5 s holding pool bytes, unread responses or a frame not arriving, are
 * closed: PoolPressure), and per connection at most
 * `queued.max.requests` frames / `QUEUED_BYTES_MAX` bytes buffered before the socket is
 * paused.
 *
 * Shutdown: stop listening and accepting, let every connection finish the request it is
 * handling (responses are sent), close the sockets, then flush and close every log (the
 * log writes its clean-shutdown marker) and the log store.
 */
import { GroupState } from '@samsa/coordinator';
import type { ConsumerGroupMigrationPolicy } from '@samsa/coordinator';
import type { Clock, Connection, FileSystem, Listener, Random, TimerHandle, Transport } from '@samsa/runtime';
import type { BrokerContext, Endpoint } from './broker-context.ts';
import type { ClusterLink } from './cluster/cluster-link.ts';
import { endViewWaits } from './cluster/controller-client-view-wait.ts';
import type { ServerConfig } from './config/server-config.ts';
import { attachSession } from './connection/attach.ts';
import type { AttachedConnection } from './connection/attach.ts';
import { ConnectionLog } from './connection/connection-log.ts';
import type { StallReason } from './connection/connection-session.ts';
import { PoolPressure } from './connection/pool-pressure.ts';
import { canOverlapRequest } from './connection/overlapping-requests.ts';
import { RequestMemoryPool } from './connection/request-memory-pool.ts';
import { Dispatcher } from './dispatcher.ts';
import { GroupService } from './groups/group-service.ts';
import { ReplicaManager, type ReplicationPlantedBug } from './replication/replica-manager.ts';
import { ReadScratchPool } from './connection/read-scratch-pool.ts';
import { replicaFetchConfigOf } from './replication/replica-fetch-config.ts';
import type { ApiHandler } from './handlers/api-handler.ts';
import { handlerTableFor } from './handlers/index.ts';
import { silentLogger } from './observability/logger.ts';
import type { Logger } from './observability/logger.ts';
import { noopMetrics } from './observability/metrics.ts';
import type { Metrics, MetricsSnapshot, PartitionGauge } from './observability/metrics.ts';
import type { PartitionLogStore } from './partitions/partition-log.ts';
import { SamsaLogStore } from './partitions/samsa-log-store.ts';
import { freeSpaceGuardFor, type FreeSpaceGuard } from './partitions/free-space-guard.ts';
import { logMaintenanceConfig } from './config/log-maintenance-config.ts';
import { effectiveTopicConfig } from './config/topic-config.ts';
import type { EffectiveTopicConfig } from './config/topic-config.ts';
import { BoundListener } from './bound-listener.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { LEGACY_METADATA_FILE_NAME, METADATA_FILE_NAME, MetadataStore } from './topics/metadata-store.ts';
import type { TopicRecord } from './topics/metadata-store.ts';
import { MetadataMissingError, partitionDirNames, RECOVER_METADATA_FLAG, recoveredProducerIdStart, topicsFromPartitionDirs } from './topics/metadata-from-logs.ts';
import { TopicRegistry } from './topics/topic-registry.ts';

/** Per-connection bound on buffered request + response bytes before reading pauses. */
export const QUEUED_BYTES_MAX = 16 * 1024 * 1024;
/** Pipelined Produce requests of one connection handled at once. */
export const PRODUCE_IN_FLIGHT_MAX = 16;
/** At max.connections, a connection idle at least this long may be closed to admit a new one. */
export const EVICT_IDLE_MIN_MS = 5_000;
/** How often idle connections are looked for. */
const IDLE_SWEEP_MS = 10_000;
/**
 * The broker-wide Fetch read buffers: at most this many kept free, each at most
 * FETCH_SCRATCH_BYTES_MAX (4 MiB: three 1 MiB partitions and their read slack, the common
 * consumer fetch); at most 32 MiB kept. A bigger fetch reads its excess into fresh buffers.
 */
const FETCH_SCRATCH_KEEP_MAX = 8;
const FETCH_SCRATCH_BYTES_MAX = 4 * 1024 * 1024;

export interface BrokerOptions {
  readonly config: ServerConfig;
  readonly fs: FileSystem;
  readonly clock: Clock;
  /**
   * Every id the broker makes (cluster id, topic ids, member ids, retired-dir suffixes)
   * comes from here: one seed reproduces a run. Apps pass `runtime.random`.
   */
  readonly random: Random;
  /**
   * Test seam over the one storage path: partition logs always live in a SamsaLogStore (a
   * @samsa/log LogManager on log.dirs[0], with the log cleaner compacting compacted topics);
   * when given, the broker uses `wrapLogs(store)` instead of the store itself, so a test can
   * slow, gate or fail chosen appends while the data still goes through @samsa/log.
   */
  readonly wrapLogs?: (logs: PartitionLogStore) => PartitionLogStore;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Replaces the handler table (tests); defaults to every implemented API. */
  readonly handlers?: readonly ApiHandler[];
  /** Tests: the `__consumer_offsets` replay waits for this (COORDINATOR_LOAD_IN_PROGRESS until then). */
  readonly groupLoadGate?: Promise<unknown>;
  /**
   * The lock of every log dir, taken by the app before it bound its ports (see
   * start-broker-on.ts). On success the broker owns it and releases it after shutdown; if
   * open fails the caller still owns it. Without it, open takes the lock itself first.
   */
  readonly dataDirLock?: DataDirLock;
  /** What open writes into the lock file when it takes the lock itself (the app's pid, host…). */
  readonly lockHolder?: string;
  /**
   * When the metadata (`samsa-metadata.kv`, or a `samsa-metadata.json` to migrate) is
   * missing but partition dirs exist: rebuild the topics from the dirs
   * (metadata-from-logs.ts) instead of refusing to start (MetadataMissingError).
   */
  readonly recoverMetadataFromLogs?: boolean;
  /**
   * Called once when open fails after it opened logs, before it closes them (which may take
   * long with many partitions): the app prints the cause here, so it comes first.
   */
  readonly onOpenFailure?: (error: unknown) => void;
  /**
   * Membership of a cluster (metadata.store=etcd), started by the app before open; absent
   * on a single broker. The broker does not stop it: the app does, after shutdown.
   */
  readonly cluster?: ClusterLink;
  /**
   * Cluster mode (issue 14): the transport followers fetch from their leaders over (absent:
   * this broker never follows — tests without a network), and a test-only planted bug.
   */
  readonly replication?: { readonly transport?: Transport; readonly plantedBugForTesting?: ReplicationPlantedBug };
}

export class Broker {
  readonly config: ServerConfig;
  readonly registry: TopicRegistry;
  /** The consumer-group coordinator bound to `__consumer_offsets` and the clock. */
  readonly groups: GroupService;
  /** Replication (cluster mode only; null on a single broker): the replica-fetch server's handler is `replicas.handleFetch`. */
  readonly replicas: ReplicaManager | null;
  /** The partition log store (the SamsaLogStore, or what `wrapLogs` made of it). */
  readonly logs: PartitionLogStore;
  /** Low-disk protection of the log dir (free bytes, refusal state). */
  readonly freeSpace: FreeSpaceGuard;
  readonly #ctx: BrokerContext;
  readonly #dispatcher: Dispatcher;
  /** Buffers consumers' Fetch answers are read into, reused once each answer is written (connection/read-scratch-pool.ts). */
  readonly #fetchScratch = new ReadScratchPool({ keepMax: FETCH_SCRATCH_KEEP_MAX, bufferBytesMax: FETCH_SCRATCH_BYTES_MAX });
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #connections = new Set<AttachedConnection>();
  /** Open connections per remote address (max.connections.per.ip). */
  readonly #connectionsByIp = new Map<string, number>();
  /** queued.max.request.bytes: request bytes all connections may hold at once. */
  readonly requestMemory: RequestMemoryPool;
  readonly #connectionLog: ConnectionLog;
  /** Closes stalled connections that pin request memory while others wait for it. */
  readonly #poolPressure: PoolPressure;
  readonly #listeners: Listener[] = [];
  #advertised: Endpoint;
  #shuttingDown = false;
  #shutdown: Promise<void> | null = null;
  #idleTimer: TimerHandle | null = null;
  #dataDirLock: DataDirLock | null = null;
  /** Cluster mode: the view and lease subscriptions, ended at shutdown. */
  readonly #clusterUnsubscribe: Array<() => void> = [];
  /** The metadata (samsa-metadata.kv); closed at shutdown, after the registry. */
  #metadataStore: MetadataStore | null = null;

  private constructor(options: BrokerOptions, registry: TopicRegistry, logs: PartitionLogStore) {
    this.config = options.config;
    this.registry = registry;
    this.logs = logs;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? noopMetrics;
    this.freeSpace = freeSpaceGuardFor(options.config, options.fs, options.clock, this.#logger);
    const first = options.config.advertisedListeners[0]!;
    this.#advertised = { host: first.host === '' ? 'localhost' : first.host, port: first.port };
    const handlers = new Map((options.handlers ?? handlerTableFor(options.cluster !== undefined)).map((h) => [h.apiKey, h]));
    const self = this;
    this.replicas =
      options.cluster === undefined
        ? null
        : new ReplicaManager({
            registry,
            cluster: options.cluster,
            clock: options.clock,
            logger: this.#logger.child({ component: 'replication' }),
            fetch: replicaFetchConfigOf(options.config.values),
            replicaLagTimeMaxMs: options.config.values.get('replica.lag.time.max.ms') as number,
            ...(options.replication?.transport === undefined ? {} : { transport: options.replication.transport }),
            ...(options.replication?.plantedBugForTesting === undefined ? {} : { plantedBugForTesting: options.replication.plantedBugForTesting }),
          });
    this.groups = new GroupService({
      registry,
      clock: options.clock,
      random: options.random,
      logger: this.#logger,
      config: groupCoordinatorConfig(options.config),
      loadGate: options.groupLoadGate,
      ...(options.cluster ? { cluster: options.cluster, leadership: registry.leadership } : {}),
      // Commits are acknowledged once the ISR holds them (null on a single broker).
      replication: this.replicas,
    });
    this.#ctx = {
      server: options.config,
      nodeId: options.config.nodeId,
      registry,
      clock: options.clock,
      random: options.random,
      logger: this.#logger,
      metrics: this.#metrics,
      handlers,
      groups: this.groups,
      freeSpace: this.freeSpace,
      advertised: () => self.#advertised,
      cluster: options.cluster ?? null,
      replication: this.replicas,
      get shuttingDown() {
        return self.#shuttingDown;
      },
    };
    this.#dispatcher = new Dispatcher(this.#ctx, handlers);
    const cluster = options.cluster;
    if (cluster) {
      // Every later view and lease change reaches the partition layer (applied in order).
      const apply = (): Promise<void> => registry.applyView(cluster.view(), cluster.nodeId, cluster.leaseValid);
      this.#clusterUnsubscribe.push(cluster.onView(() => void apply()));
      const unsubscribeLease = cluster.onLeaseChange?.(() => void apply());
      if (unsubscribeLease) this.#clusterUnsubscribe.push(unsubscribeLease);
      // The first view: applied after everything built here (the group service) could
      // subscribe to the leadership events; `open` waits for it.
      void apply();
    }
    const queuedBytes = options.config.values.get('queued.max.request.bytes') as number;
    this.requestMemory = new RequestMemoryPool(queuedBytes > 0 ? queuedBytes : Infinity, () => this.#poolPressure.waiting());
    this.#poolPressure = new PoolPressure({
      pool: this.requestMemory,
      clock: options.clock,
      connections: () => this.#connections,
      close: (c, reason) => this.#closeStalled(c, reason),
    });
    this.#connectionLog = new ConnectionLog(this.#logger, options.clock);
    const idleMs = options.config.values.get('connections.max.idle.ms') as number;
    if (idleMs > 0) this.#idleTimer = options.clock.setInterval(() => this.closeIdleConnections(), Math.min(IDLE_SWEEP_MS, idleMs));
  }

  /**
   * Closes connections with no traffic for `connections.max.idle.ms` and no request in
   * the handler (Kafka's idle reaper; a long poll is not idle). Runs on a timer.
   */
  closeIdleConnections(): number {
    const idleMs = this.config.values.get('connections.max.idle.ms') as number;
    const now = this.#ctx.clock.monotonicMs();
    let closed = 0;
    for (const c of this.#connections) {
      if (!c.session.busy && now - c.lastActivityMs > idleMs) {
        c.session.end('idle', true);
        closed++;
      }
    }
    return closed;
  }

  /**
   * Takes the data-dir lock (unless the caller holds it already: `dataDirLock`), then loads
   * (or creates) the metadata, opens every partition log and rebuilds producer state.
   * Nothing in a log dir is opened or written before the lock is held.
   */
  static async open(options: BrokerOptions): Promise<Broker> {
    const logger = options.logger ?? silentLogger;
    if (options.config.logDirs[0] === undefined) throw new Error('log.dirs is empty');
    const lock = options.dataDirLock ?? (await DataDirLock.acquire(options.fs, options.config.logDirs, options.lockHolder ?? 'samsa broker'));
    try {
      const broker = await Broker.#openLocked(options, logger, lock);
      broker.#dataDirLock = lock;
      // Cluster mode: the local replicas of the first view are open, and those it leads
      // take writes, before clients come.
      await broker.settled();
      // A first reading now, so /metrics and /healthz show the free space from the start
      // (refresh never rejects; 'unknown' stays unknown).
      await broker.freeSpace.refresh();
      return broker;
    } catch (e) {
      if (options.dataDirLock === undefined) await lock.release();
      throw e;
    }
  }

  static async #openLocked(options: BrokerOptions, logger: Logger, lock: DataDirLock): Promise<Broker> {
    const dataDir = options.config.logDirs[0]!;
    const store = await MetadataStore.open({
      fs: options.fs,
      dir: dataDir,
      clock: options.clock,
      random: options.random,
      nodeId: options.config.nodeId,
      newClusterId: () => newClusterId(options.random),
      clusterIdOverride: options.config.clusterId,
      whenMissing: () => Broker.#metadataFromLogsIfMissing(options, logger, dataDir),
    });
    try {
      const broker = await Broker.#openWithMetadata(options, logger, lock, store);
      broker.#metadataStore = store;
      return broker;
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }

  static async #openWithMetadata(options: BrokerOptions, logger: Logger, lock: DataDirLock, store: MetadataStore): Promise<Broker> {
    const dataDir = options.config.logDirs[0]!;
    if (store.migratedFrom !== null) {
      logger.info({ dataDir, from: store.migratedFrom, to: METADATA_FILE_NAME }, `migrated ${LEGACY_METADATA_FILE_NAME} into ${METADATA_FILE_NAME}; the old file is kept as ${LEGACY_METADATA_FILE_NAME}.migrated`);
    }
    for (const { dir, error } of lock.holderWriteFailures) {
      logger.warn({ dir, err: error }, `holding the lock of ${dir}, but could not write this process's description into its .lock file (a second broker will not be told who holds it)`);
    }
    for (const parent of [...lock.unsyncedParents, ...store.unsyncedParents]) {
      logger.warn({ dataDir, parent }, `created the data dir, but may not sync ${parent} (no permission, e.g. Deno without --allow-read on it): a power loss in the next seconds may lose the new data dir`);
    }
    const server = options.config;
    // Topic configs come from the metadata store's current state (AlterConfigs saves there
    // first); in a cluster from the current view (a log dir of a topic the view lacks is
    // set aside as stray at open; before any view is read every dir is kept).
    const cluster = options.cluster;
    const topicConfig = (topic: string) => {
      if (cluster) return clusterTopicConfig(server, cluster, topic);
      const record = store.state.topics.find((t) => t.name === topic);
      return record === undefined ? undefined : effectiveTopicConfig(server, store.state.dynamicBrokerConfigs, record.configs);
    };
    // Retention is the LogManager's task; after it deleted segments, the partition trims
    // its producer state (a deletion before the topics are open needs none: they rebuild
    // their state from the log as it is then).
    let registry: TopicRegistry | undefined;
    const samsaLogs = await SamsaLogStore.open({
      fs: options.fs,
      clock: options.clock,
      random: options.random,
      logDir: dataDir,
      logger,
      topicConfig,
      defaultConfig: effectiveTopicConfig(server, store.state.dynamicBrokerConfigs, {}),
      maintenance: logMaintenanceConfig(server),
      // A cluster broker's high watermark is replication's (checkpointed); a single broker's is its log end.
      highWatermark: options.cluster === undefined ? 'log-end' : 'manual',
      onSegmentsDeleted: (e) => {
        registry?.partition(e.topic, e.partition)?.afterRetention(e.logStartOffset);
        logger.info({ topic: e.topic, partition: e.partition, segments: e.deletedSegments, logStartOffset: e.logStartOffset, reason: e.reason }, 'retention deleted segments');
      },
    });
    const logs = options.wrapLogs?.(samsaLogs) ?? samsaLogs;
    try {
      registry = await TopicRegistry.open({ server, store, logs, logger, random: options.random });
    } catch (e) {
      // Say why first: closing thousands of logs may take a while.
      options.onOpenFailure?.(e);
      logger.error({ err: e, dataDir }, 'opening the topics failed; closing the logs opened so far');
      await logs.close().catch(() => {});
      throw e;
    }
    logger.info({ nodeId: server.nodeId, clusterId: registry.clusterId, topics: registry.topicCount, dataDir }, 'broker opened');
    return new Broker(options, registry, logs);
  }

  /**
   * Called by MetadataStore.open when there is no metadata (neither a complete
   * samsa-metadata.kv nor a samsa-metadata.json to migrate). Undefined unless partition
   * dirs exist: then refuses (MetadataMissingError) or, with `recoverMetadataFromLogs`,
   * rebuilds the topics. Never in a cluster: its topics come from the cluster's view.
   */
  static async #metadataFromLogsIfMissing(options: BrokerOptions, logger: Logger, dataDir: string): Promise<{ topics: TopicRecord[]; producerIdBlockEnd: number } | undefined> {
    // In a cluster the topics are etcd's (the view), not the local file's: its loss drops nothing.
    if (options.cluster !== undefined) return undefined;
    const dirs = partitionDirNames(await options.fs.readDir(dataDir));
    if (dirs.length === 0) return undefined;
    if (options.recoverMetadataFromLogs !== true) throw new MetadataMissingError(dataDir, METADATA_FILE_NAME, dirs);
    const topics = topicsFromPartitionDirs(dirs, options.random);
    logger.warn(
      { dataDir, topics: topics.map((t) => `${t.name}:${t.partitions}`), partitionDirs: dirs.length },
      `${METADATA_FILE_NAME} is missing: rebuilt ${topics.length} topics from the partition directories (${RECOVER_METADATA_FLAG}); topic configs are the defaults, topic ids and the cluster id are new`,
    );
    return { topics, producerIdBlockEnd: recoveredProducerIdStart(options.clock.wallMs()) };
  }

  get context(): BrokerContext {
    return this.#ctx;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get advertised(): Endpoint {
    return this.#advertised;
  }

  /** Where Metadata/FindCoordinator tell clients to connect (the app sets it after binding). */
  setAdvertisedEndpoint(host: string, port: number): void {
    this.#advertised = { host, port };
  }

  /**
   * Listens on the first configured listener (the client listener). Port 0 binds a free
   * port; the advertised endpoint follows the bound port unless advertised.listeners set one.
   * (An app binds first with `BoundListener.bind`, before opening the broker, then `serve`s.)
   */
  async listen(transport: Transport): Promise<Listener> {
    return this.serve(await BoundListener.bind(transport, this.config));
  }

  /** Serves a listener bound before the broker was opened (and the connections it held). */
  serve(bound: BoundListener): Listener {
    const l = this.config.listeners[0]!;
    const listener = bound.listener;
    this.#listeners.push(listener);
    if (!this.config.explicitKeys.has('advertised.listeners')) {
      this.#advertised = { host: l.host === '' || l.host === '0.0.0.0' ? this.#advertised.host : l.host, port: listener.port };
    }
    this.#logger.info({ host: listener.host, port: listener.port, advertised: this.#advertised }, 'listening');
    bound.serve((c) => this.attach(c));
    return listener;
  }

  /** Serves one accepted connection until either side closes it. */
  attach(connection: Connection): void {
    const peer = peerOf(connection);
    const ip = connection.remoteAddress;
    const fromIp = this.#connectionsByIp.get(ip) ?? 0;
    const refused = this.#shuttingDown
      ? 'shutting-down'
      : fromIp >= (this.config.values.get('max.connections.per.ip') as number)
        ? 'max-connections-per-ip'
        : this.#connections.size >= this.config.maxConnections && !this.#evictIdlest()
          ? 'max-connections'
          : null;
    if (refused !== null) {
      this.#metrics.connectionRejected(refused);
      this.#connectionLog.refused(refused, peer, this.#connections.size, fromIp);
      connection.destroy();
      return;
    }
    this.#connectionsByIp.set(ip, fromIp + 1);
    const attached = attachSession(connection, {
      frameBytesMax: this.config.socketRequestMaxBytes,
      queuedBytesMax: QUEUED_BYTES_MAX,
      queuedFramesMax: this.config.queuedMaxRequests,
      handleFrame: (frame) => this.#dispatcher.handle(frame, peer, this.#fetchScratch),
      // Pipelined Produce and OffsetCommit requests overlap; see overlapping-requests.ts.
      canOverlap: canOverlapRequest,
      inFlightMax: PRODUCE_IN_FLIGHT_MAX,
      pool: this.requestMemory,
      onEnd: (reason) => {
        if (reason === 'idle') this.#logger.debug({ peer }, 'closed an idle connection');
        if (reason === 'frame-too-large' || reason === 'bad-frame') {
          this.#metrics.connectionRejected(reason);
          this.#connectionLog.badFrame(reason, peer, this.config.socketRequestMaxBytes);
        }
      },
    }, this.#ctx.clock);
    this.#connections.add(attached);
    this.#metrics.connectionsChanged(1);
    void attached.closed.then(() => {
      this.#connections.delete(attached);
      const left = (this.#connectionsByIp.get(ip) ?? 1) - 1;
      if (left > 0) this.#connectionsByIp.set(ip, left);
      else this.#connectionsByIp.delete(ip);
      this.#metrics.connectionsChanged(-1);
    });
  }

  /**
   * At max.connections, makes room for a new connection by closing the one idle the
   * longest, if it has been idle (no bytes either way, no request in the handler) for at
   * least EVICT_IDLE_MIN_MS and is not waiting for request memory. Connections a client opened and left (or a hostile one
   * parked) would otherwise hold their slots, and file descriptors, until
   * connections.max.idle.ms (10 min), refusing every newcomer meanwhile. An evicted
   * idle client just reconnects. O(connections), only when the limit is reached.
   */
  #evictIdlest(): boolean {
    const now = this.#ctx.clock.monotonicMs();
    let idlest: AttachedConnection | null = null;
    for (const c of this.#connections) {
      // A session waiting for request memory is not idle: its client is sending a frame.
      if (c.session.busy || c.session.ended || c.session.awaitingMemory || now - c.lastActivityMs < EVICT_IDLE_MIN_MS) continue;
      if (idlest === null || c.lastActivityMs < idlest.lastActivityMs) idlest = c;
    }
    if (idlest === null) return false;
    this.#metrics.connectionRejected('evicted-idle');
    this.#connectionLog.refused('evicted-idle', peerOf(idlest.connection), this.#connections.size, this.#connectionsByIp.get(idlest.connection.remoteAddress) ?? 0);
    idlest.session.end('evicted-idle', false);
    // Its socket closes asynchronously; the slot is taken over now.
    this.#connections.delete(idlest);
    return true;
  }

  /**
   * Closes a connection whose stalled client pins request memory others wait for (see
   * connection/pool-pressure.ts); ending its session releases its reservations at once.
   */
  #closeStalled(c: AttachedConnection, reason: StallReason): void {
    if (this.#shuttingDown) return;
    this.#metrics.connectionRejected(reason);
    this.#connectionLog.pinnedMemory(reason, peerOf(c.connection), c.session.reservedUnhandledBytes, this.requestMemory.waiterCount);
    c.session.end(reason, false);
  }

  /** Gauges for the app's metrics scrape. */
  metricsSnapshot(): MetricsSnapshot {
    const partitions: PartitionGauge[] = [];
    let offlinePartitions = 0;
    for (const t of this.registry.topics()) {
      for (const p of t.partitions) {
        if (p.log.isOffline === true) offlinePartitions++;
        partitions.push({
          topic: t.record.name,
          partition: p.index,
          logStartOffset: p.log.logStartOffset,
          logEndOffset: p.log.logEndOffset,
          highWatermark: p.highWatermark,
          sizeBytes: p.log.sizeBytes,
        });
      }
    }
    const coordinator = this.groups.coordinator;
    const byState: Record<string, number> = {};
    for (const state of Object.values(GroupState)) byState[state] = 0;
    Object.assign(byState, coordinator.groupCountsByState());
    const groups = { byState, ...coordinator.counters() };
    this.freeSpace.maybeRefresh(); // a scrape sees the reading of at most one interval ago
    const disk = { ...this.freeSpace.state(), offlinePartitions };
    const replication = this.replicas?.gauges();
    return { connections: this.#connections.size, topics: this.registry.topicCount, partitions, groups, disk, ...(replication === undefined ? {} : { replication }) };
  }

  /**
   * Resolves once every cluster view handed to the registry so far is applied and the
   * replication roles it gave are set up (a led partition takes writes). At once on a
   * single broker. For tests and startup; clients simply retry NOT_LEADER_OR_FOLLOWER.
   */
  async settled(): Promise<void> {
    await this.registry.applied();
    await this.replicas?.settled();
  }

  /** Idempotent; see the file comment for the order. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#idleTimer?.cancel();
    this.#connectionLog.close();
    this.#logger.info({ connections: this.#connections.size }, 'shutting down');
    await Promise.all(this.#listeners.map((l) => l.close().catch(() => {})));
    // Waiting JoinGroup/SyncGroup requests end now (their connections close) rather than
    // holding shutdown for a rebalance timeout.
    this.groups.close();
    // Wake long polls (they see shuttingDown and answer), let each connection finish the
    // request in its handler, then close the logs.
    const finishing = [...this.#connections].map((c) => c.session.finish('shutdown'));
    this.registry.wakeAllWaiters();
    // Admin handlers waiting for their change to show in the view answer now.
    if (this.#ctx.cluster !== null) endViewWaits(this.#ctx.cluster);
    await Promise.all(finishing);
    for (const unsubscribe of this.#clusterUnsubscribe.splice(0)) unsubscribe();
    // Follower loops stop and acks=all waiters are answered before the logs close.
    await this.replicas?.close();
    await this.registry.close();
    await this.#metadataStore?.close().catch((e: unknown) => this.#logger.warn({ err: e }, 'closing the metadata store failed'));
    // Last: the logs are closed, so another broker may have the dirs now.
    await this.#dataDirLock?.release();
    this.#logger.info({}, 'shut down cleanly');
  }
}

/**
 * A topic's effective config from the cluster view (the cluster-wide default broker
 * configs, this node's broker overrides, then the topic's); undefined for a topic the view
 * lacks; the defaults before any view was read.
 */
function clusterTopicConfig(server: ServerConfig, cluster: ClusterLink, topic: string): EffectiveTopicConfig | undefined {
  const view = cluster.view();
  const brokerOverrides = view.brokerConfigs.get(cluster.nodeId) ?? {};
  const clusterDefaults = view.brokerDefaultConfigs ?? {};
  if (view.revision === 0) return effectiveTopicConfig(server, brokerOverrides, {}, clusterDefaults);
  if (!view.topics.has(topic)) return undefined;
  return effectiveTopicConfig(server, brokerOverrides, view.topicConfigs.get(topic) ?? {}, clusterDefaults);
}

/** The coordinator settings Kafka's broker config carries. */
function groupCoordinatorConfig(config: ServerConfig): {
  offsetsTopicNumPartitions: number;
  groupInitialRebalanceDelayMs: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  consumerGroupMigrationPolicy: ConsumerGroupMigrationPolicy;
} {
  return {
    offsetsTopicNumPartitions: config.offsetsTopicNumPartitions,
    groupInitialRebalanceDelayMs: config.values.get('group.initial.rebalance.delay.ms') as number,
    offsetsRetentionMs: (config.values.get('offsets.retention.minutes') as number) * 60_000,
    offsetsRetentionCheckIntervalMs: config.values.get('offsets.retention.check.interval.ms') as number,
    consumerGroupMigrationPolicy: (config.values.get('group.consumer.migration.policy') as string).toLowerCase() as ConsumerGroupMigrationPolicy,
  };
}

/** A connection's `address:port`, as logged. */
function peerOf(connection: Connection): string {
  return `${connection.remoteAddress}:${connection.remotePort}`;
}

function newClusterId(random: Random): string {
  // 16 random bytes in Kafka's url-safe base64 form (like `kafka-storage random-uuid`).
  const bytes = random.fill(new Uint8Array(16));
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
