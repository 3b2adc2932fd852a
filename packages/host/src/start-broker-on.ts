/**
 * startBrokerOn: the runtime-free @samsa/broker core on a given Runtime (files, sockets,
 * clock), with the host's metrics, the runtime's native accelerators installed into the
 * codec, and the optional admin HTTP port (the admin handler served by the app's
 * `serveHttp`). The one body behind both apps: `startBroker` in apps/broker-node (Node:
 * nodeRuntime, its HTTP module) and `startDenoBroker` in apps/broker-deno (denoRuntime,
 * its built-in `serve`).
 *
 * Order (issue 11, defects 1 and 2): everything that can fail cheaply comes before any log
 * is opened, so a start that fails never touches a live broker's files:
 *   1. the lock of every log dir (DataDirLock; a second broker on the dir stops here and
 *      writes nothing),
 *   2. bind the Kafka listener (connections are held, not served) and the admin port
 *      (/healthz answers 503 until the broker is open),
 *   3. in a cluster (`metadata.store=etcd`, cluster-config.ts): the etcd metadata store and
 *      this broker's ClusterMember, registered with the advertised endpoint (which needs the
 *      bound port) before the broker opens; an unreachable etcd is retried, then fails the
 *      start naming the endpoints (ClusterMemberStartError),
 *   4. open the broker (metadata, logs, group coordinator), then serve.
 * A failure at any step calls `onStartFailure(error)` first (the app prints the cause),
 * then closes what was opened (the member leaves the cluster, the store closes), then
 * rejects with the same error. `shutdown`, in a cluster, first asks the controller to move
 * this broker's leaderships away (bounded), then drains the broker (it releases the lock
 * after closing its logs), then leaves the cluster (revoking the lease deletes the
 * registration at once) and closes the store; the admin port closes last, so /healthz
 * reports the drain.
 */
import { BoundListener, Broker, ClusterMember, DataDirLock, ForwardingControllerClient, notLeadingAnswer, parseEndpointOverrides, ReplicaFetchServer, replicaFetchConfigOf } from '@samsa/broker';
import type { ReplicaFetchHandler, ReplicationPlantedBug } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import { EtcdMetadataStore } from '@samsa/coordinator';
import type { MetadataStore } from '@samsa/coordinator';
import type { Runtime } from '@samsa/runtime';
import { clusterConfigFrom } from './cluster-config.ts';
import type { ClusterConfig } from './cluster-config.ts';
import { installAccelerators } from './accelerators.ts';
import type { NativeAccelerators } from './accelerators.ts';
import { createAdminHandler } from './admin-handler.ts';
import type { HttpServer, ServeHttp } from './http-server.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';
import type { BrokerMetricsOptions } from './metrics/broker-metrics.ts';

export interface StartBrokerOnOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. Needs `serveHttp`. */
  readonly adminPort?: number;
  /** The runtime's HTTP server for the admin handler. */
  readonly serveHttp?: ServeHttp;
  /** The runtime's native CRC-32C and gzip inflater, installed into the codec before the broker opens. */
  readonly accelerators?: NativeAccelerators;
  /** The app's process metrics, appended to /metrics. */
  readonly metrics?: BrokerMetricsOptions;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Written into each log dir's `.lock` (who holds it, for a second broker's message): pid, host, start time. */
  readonly lockHolder?: string;
  /** Rebuild the topics from the partition dirs when the metadata (samsa-metadata.kv) is missing (--recover-metadata-from-logs). */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails. */
  readonly onStartFailure?: (error: unknown) => void;
  /** In a cluster: the metadata store to use (tests); default an EtcdMetadataStore on `etcd.endpoints`. */
  readonly createMetadataStore?: (cluster: ClusterConfig) => MetadataStore;
  /** In a cluster: bound of `ClusterMember.start()` (default 60 s). */
  readonly clusterStartTimeoutMs?: number;
  /** TEST ONLY (apps/sim's planted bugs): a known bug in the replica state machines (ReplicaManagerOptions.plantedBugForTesting). */
  readonly replicationPlantedBugForTesting?: ReplicationPlantedBug;
  /** TEST ONLY (apps/sim's planted bug): see ClusterMemberOptions.ignoreLeaseLossForTesting. */
  readonly ignoreLeaseLossForTesting?: boolean;
}

export interface RunningBroker {
  readonly broker: Broker;
  readonly metrics: BrokerMetrics;
  /** Bound host and port of the Kafka listener. */
  readonly host: string;
  readonly port: number;
  readonly admin: HttpServer | null;
  /** This broker's cluster membership; null on a single broker (metadata.store=local). */
  readonly cluster: ClusterMember | null;
  /** Idempotent. Stops the admin port last so /healthz reports the drain. */
  shutdown(): Promise<void>;
}

export async function startBrokerOn(runtime: Runtime, options: StartBrokerOnOptions): Promise<RunningBroker> {
  const { config, logger } = options;
  if (options.adminPort !== undefined && options.serveHttp === undefined) throw new TypeError('startBrokerOn: adminPort needs serveHttp (the runtime\'s HTTP server)');
  if (options.accelerators !== undefined) installAccelerators(options.accelerators, logger);
  const metrics = new BrokerMetrics(options.metrics);
  let healthy = false;
  let lock: DataDirLock | null = null;
  let bound: BoundListener | null = null;
  let admin: HttpServer | null = null;
  let broker: Broker | undefined;
  let store: MetadataStore | null = null;
  let member: ClusterMember | null = null;
  /** Cluster mode: the replica-fetch listener, started before registering (its port is in the registration). */
  let replicaServer: ReplicaFetchServer | null = null;
  /** Follower fetches go to the broker's ReplicaManager once it is open; until then nothing is led here. */
  const replicaHandler: { fetch: ReplicaFetchHandler | null } = { fetch: null };
  /** Admin requests of a broker that is not the controller go to the controller broker through it. */
  const forwarding: { client: ForwardingControllerClient | null } = { client: null };
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return;
    reported = true;
    options.onStartFailure?.(error);
  };
  try {
    lock = await DataDirLock.acquire(runtime.fs, config.logDirs, options.lockHolder ?? 'samsa broker');
    bound = await BoundListener.bind(runtime.transport, config);
    if (options.adminPort !== undefined) {
      const listenerHost = bound.host === '' || bound.host === '0.0.0.0' ? '127.0.0.1' : bound.host;
      const handler = createAdminHandler({ metrics, isHealthy: () => healthy, disk: () => broker?.metricsSnapshot().disk });
      admin = await options.serveHttp!({ host: options.adminHost ?? listenerHost, port: options.adminPort, handler });
    }
    const cluster = clusterConfigFrom(config);
    if (cluster !== null) {
      store = options.createMetadataStore?.(cluster) ?? new EtcdMetadataStore({ endpoints: cluster.endpoints, clock: runtime.clock, random: runtime.random });
      const replicaListener = replicaFetchConfigOf(config.values).listener;
      replicaServer = await ReplicaFetchServer.start({
        transport: runtime.transport,
        clock: runtime.clock,
        logger,
        clusterId: cluster.clusterId,
        brokerId: config.nodeId,
        host: replicaListener?.host ?? (bound.host === '' ? '0.0.0.0' : bound.host),
        port: replicaListener?.port ?? 0,
        handler: (request, signal, scratch) => (replicaHandler.fetch === null ? Promise.resolve(notLeadingAnswer(request)) : replicaHandler.fetch(request, signal, scratch)),
      });
      member = new ClusterMember({
        store,
        clusterId: cluster.clusterId,
        nodeId: config.nodeId,
        endpoint: advertisedEndpoint(config, bound.port),
        rack: config.rack,
        replicationPort: replicaServer.port,
        clock: runtime.clock,
        random: runtime.random,
        logger,
        sessionTimeoutMs: cluster.sessionTimeoutMs,
        heartbeatIntervalMs: cluster.heartbeatIntervalMs,
        controller: {
          defaultPartitionCount: config.numPartitions,
          defaultReplicationFactor: config.defaultReplicationFactor,
          uncleanLeaderElectionEnable: config.values.get('unclean.leader.election.enable') === true,
          autoLeaderRebalanceEnable: config.values.get('auto.leader.rebalance.enable') === true,
          leaderImbalancePerBrokerPercentage: config.values.get('leader.imbalance.per.broker.percentage') as number,
        },
        leaderImbalanceCheckIntervalMs: (config.values.get('leader.imbalance.check.interval.seconds') as number) * 1000,
        storeDescription: `etcd ${cluster.endpoints.join(',')}`,
        makeControllerClient: (m) =>
          (forwarding.client = new ForwardingControllerClient({
            isController: () => m.isController,
            localController: m.localController,
            view: () => m.view(),
            nodeId: config.nodeId,
            transport: runtime.transport,
            clock: runtime.clock,
            logger,
            endpointOverrides: parseEndpointOverrides(String(config.values.get('controller.endpoint.overrides') ?? ''), 'controller.endpoint.overrides'),
          })),
        ...(options.clusterStartTimeoutMs !== undefined ? { startTimeoutMs: options.clusterStartTimeoutMs } : {}),
        ...(options.ignoreLeaseLossForTesting === true ? { ignoreLeaseLossForTesting: true } : {}),
      });
      await member.start();
    }
    broker = await Broker.open({
      config,
      fs: runtime.fs,
      clock: runtime.clock,
      random: runtime.random,
      logger,
      metrics,
      dataDirLock: lock,
      onOpenFailure: report,
      ...(options.recoverMetadataFromLogs === true ? { recoverMetadataFromLogs: true } : {}),
      ...(member !== null ? { cluster: member } : {}),
      ...(member !== null ? { replication: { transport: runtime.transport, ...(options.replicationPlantedBugForTesting === undefined ? {} : { plantedBugForTesting: options.replicationPlantedBugForTesting }) } } : {}),
    });
    const replicas = broker.replicas;
    if (replicas !== null) replicaHandler.fetch = (request, signal, scratch) => replicas.handleFetch(request, signal, scratch);
  } catch (error) {
    report(error);
    await replicaServer?.close().catch(() => {});
    await member?.stop().catch(() => {});
    forwarding.client?.close();
    await store?.close().catch(() => {});
    await admin?.close().catch(() => {});
    await bound?.close().catch(() => {});
    await lock?.release();
    throw error;
  }
  const opened = broker;
  const joined = member;
  const openedStore = store;
  const openedReplicaServer = replicaServer;
  metrics.setSnapshotSource(() => opened.metricsSnapshot());
  const listener = opened.serve(bound);
  healthy = true;
  let shutdown: Promise<void> | null = null;
  return {
    broker: opened,
    metrics,
    host: listener.host,
    port: listener.port,
    admin,
    cluster: joined,
    shutdown() {
      shutdown ??= (async () => {
        healthy = false;
        try {
          await joined?.controlledShutdown(); // bounded; never rejects
          // Followers' long polls end before the logs close.
          await openedReplicaServer?.close().catch(() => {});
          await opened.shutdown();
        } finally {
          await joined?.stop();
          forwarding.client?.close();
          await openedStore?.close();
        }
        await admin?.close();
      })();
      return shutdown;
    },
  };
}

/**
 * The endpoint other brokers and clients are told (written into the registration): the
 * first advertised listener when advertised.listeners is set, else the listener's host
 * (localhost for all interfaces, as Broker.serve does) with the bound port.
 */
function advertisedEndpoint(config: ServerConfig, boundPort: number): { host: string; port: number } {
  if (config.explicitKeys.has('advertised.listeners')) {
    const a = config.advertisedListeners[0]!;
    return { host: a.host === '' ? 'localhost' : a.host, port: a.port };
  }
  const l = config.listeners[0]!;
  return { host: l.host === '' || l.host === '0.0.0.0' ? 'localhost' : l.host, port: boundPort };
}

