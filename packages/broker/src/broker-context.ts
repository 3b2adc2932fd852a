/**
 * BrokerContext: everything a request handler may use — config, the topic registry, time,
 * logging, metrics and the served API ranges (ApiVersions reports them). One per broker;
 * shared by all connections. Handlers must not keep per-connection state in it.
 *
 * Imports only types of modules below the handlers (no handler, no dispatcher): handlers
 * import this file, so anything it imported from them would close an import cycle
 * (test/lint/import-cycles.test.ts). The dispatcher holds the handlers themselves.
 */
import type { Clock, Random } from '@samsa/runtime';
import type { ClusterLink } from './cluster/cluster-link.ts';
import type { ServerConfig } from './config/server-config.ts';
import type { GroupService } from './groups/group-service.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { FreeSpaceGuard } from './partitions/free-space-guard.ts';
import type { ReplicationService } from './replication/replication-service.ts';
import type { TopicRegistry } from './topics/topic-registry.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** One served API as ApiVersions advertises it: every version in [minVersion, maxVersion] works. */
export interface ServedApi {
  readonly apiKey: number;
  /** Kafka's name (e.g. "Produce"). */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface BrokerContext {
  readonly server: ServerConfig;
  readonly nodeId: number;
  readonly registry: TopicRegistry;
  readonly clock: Clock;
  /** The broker's seeded source: every random id a handler makes comes from here (one seed reproduces a run). */
  readonly random: Random;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The served APIs by key, exactly the dispatcher's handler table. */
  readonly handlers: ReadonlyMap<number, ServedApi>;
  /** The consumer-group coordinator over `__consumer_offsets` (group APIs, FindCoordinator). */
  readonly groups: GroupService;
  /** Where clients reach this broker (Metadata, FindCoordinator, DescribeCluster). */
  advertised(): Endpoint;
  /** Low-disk protection: client writes ask it first (see free-space-guard.ts). */
  readonly freeSpace: FreeSpaceGuard;
  /** The cluster this broker is a member of (metadata.store=etcd); null on a single broker. */
  readonly cluster: ClusterLink | null;
  /** Replication around appends (acks=all, min.insync.replicas); null on a single broker. */
  readonly replication: ReplicationService | null;
  /** True once shutdown began: long polls return at once. */
  readonly shuttingDown: boolean;
}
