/**
 * The broker config keys Samsa accepts, with Kafka's names, types and defaults.
 *
 * `used: false` marks keys that a stock Kafka `server.properties` sets but that mean
 * nothing to a single Samsa node (thread counts, socket buffer sizes, KRaft voter
 * lists...). They parse and validate like Kafka does, so those files load unchanged, and
 * are otherwise ignored. Any key missing from this table is a startup error.
 */
import type { ConfigType } from './config-types.ts';
import { parseEndpointOverrides } from '../replication/replica-fetch-config.ts';
import { LOG_SEGMENT_BYTES_MIN, LOG_SEGMENT_INDEX_BYTES_MIN, LOG_SEGMENT_MS_MIN } from './log-limits.ts';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as text; null means "no default" (Kafka's null). */
  readonly defaultText: string | null;
  /** Extra validation of a parsed value; returns an error message or null. */
  readonly validate?: (value: unknown) => string | null;
  readonly used: boolean;
  /** Broker configs that AlterConfigs/IncrementalAlterConfigs may change at runtime. */
  readonly dynamic?: boolean;
}

const atLeast = (min: number) => (v: unknown): string | null =>
  typeof v === 'number' && v < min ? `must be at least ${min}` : null;
const between = (min: number, max: number) => (v: unknown): string | null =>
  typeof v === 'number' && (v < min || v > max) ? `must be between ${min} and ${max}` : null;
/** `host:port` of an internal listener: host a name, IPv4 or [IPv6], port 0 (any free one) to 65535. */
const hostPort = (v: unknown): string | null =>
  v === null || (typeof v === 'string' && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(v) && Number(/:([0-9]+)$/.exec(v)![1]) <= 65535)
    ? null
    : `"${String(v)}" is not host:port like 127.0.0.1:0`;
const endpointOverrides = (key: string) => (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  try {
    parseEndpointOverrides(v, key);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};
const oneOf = (...allowed: string[]) => (v: unknown): string | null =>
  typeof v === 'string' && !allowed.includes(v) ? `must be one of ${allowed.join(', ')}` : null;
const oneOfIgnoringCase = (...allowed: string[]) => (v: unknown): string | null =>
  typeof v === 'string' && !allowed.includes(v.toLowerCase()) ? `must be one of ${allowed.join(', ')} (any case)` : null;

/** etcd client URLs: `http://host:port` (or https), host a name, IPv4 or [IPv6]. */
const clientUrls = (v: unknown): string | null => {
  if (!Array.isArray(v)) return null;
  const bad = v.find((u) => typeof u !== 'string' || !/^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}\/?$/.test(u) || Number(/:([0-9]+)\/?$/.exec(u)![1]) > 65535);
  return bad === undefined ? null : `"${String(bad)}" is not an etcd client URL like http://127.0.0.1:2379`;
};

const def = (
  name: string,
  type: ConfigType,
  defaultText: string | null,
  extra: Partial<Pick<ConfigDef, 'validate' | 'used' | 'dynamic'>> = {},
): ConfigDef => ({ name, type, defaultText, used: true, ...extra });

export const BROKER_CONFIG_DEFS: readonly ConfigDef[] = [
  def('node.id', 'int', '1', { validate: atLeast(0) }),
  def('broker.id', 'int', '-1', { used: false }),
  def('listeners', 'list', 'PLAINTEXT://:9092'),
  def('advertised.listeners', 'list', null),
  def('log.dirs', 'list', null),
  def('log.dir', 'string', '/tmp/kafka-logs'),
  def('num.partitions', 'int', '1', { validate: atLeast(1) }),
  def('default.replication.factor', 'int', '1', { validate: atLeast(1) }),
  def('auto.create.topics.enable', 'boolean', 'true'),
  def('delete.topic.enable', 'boolean', 'true'),
  def('log.retention.ms', 'long', null, { dynamic: true }),
  def('log.retention.minutes', 'int', null),
  def('log.retention.hours', 'int', '168'),
  def('log.retention.bytes', 'long', '-1', { dynamic: true }),
  def('log.segment.bytes', 'int', '1073741824', { validate: atLeast(LOG_SEGMENT_BYTES_MIN), dynamic: true }),
  def('log.roll.ms', 'long', null, { validate: atLeast(LOG_SEGMENT_MS_MIN), dynamic: true }),
  def('log.roll.hours', 'int', '168', { validate: atLeast(1) }),
  def('log.flush.interval.messages', 'long', '9223372036854775807', { validate: atLeast(1), dynamic: true }),
  def('log.flush.interval.ms', 'long', null, { validate: atLeast(0), dynamic: true }),
  def('log.flush.scheduler.interval.ms', 'long', '9223372036854775807'),
  def('log.cleanup.policy', 'list', 'delete', { dynamic: true }),
  def('log.index.interval.bytes', 'int', '4096', { validate: atLeast(0), dynamic: true }),
  def('log.index.size.max.bytes', 'int', '10485760', { validate: atLeast(LOG_SEGMENT_INDEX_BYTES_MIN), dynamic: true }),
  def('log.message.timestamp.type', 'string', 'CreateTime', { validate: oneOf('CreateTime', 'LogAppendTime'), dynamic: true }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', { dynamic: true }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', { dynamic: true }),
  def('log.cleaner.max.compaction.lag.ms', 'long', '9223372036854775807', { dynamic: true }),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', { dynamic: true }),
  def('log.cleaner.enable', 'boolean', 'true'),
  def('log.cleaner.backoff.ms', 'long', '15000', { validate: atLeast(1) }),
  def('log.cleaner.dedupe.buffer.size', 'long', '134217728', { validate: atLeast(256) }),
  def('log.cleaner.threads', 'int', '1', { validate: atLeast(0), used: false }),
  def('log.flush.offset.checkpoint.interval.ms', 'int', '60000', { validate: atLeast(1) }),
  def('log.retention.check.interval.ms', 'long', '300000', { validate: atLeast(1) }),
  def('log.segment.delete.delay.ms', 'long', '60000', { dynamic: true }),
  def('log.preallocate', 'boolean', 'false', { used: false }),
  // Samsa's low-disk protection (partitions/free-space-guard.ts): -1 = min(256 MiB, 5% of the volume), 0 = off.
  def('log.dir.free.bytes.min', 'long', '-1', { validate: atLeast(-1) }),
  def('log.dir.free.check.interval.ms', 'long', '1000', { validate: atLeast(1) }),
  def('compression.type', 'string', 'producer', {
    validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    dynamic: true,
  }),
  def('message.max.bytes', 'int', '1048588', { validate: atLeast(0), dynamic: true }),
  def('min.insync.replicas', 'int', '1', { validate: atLeast(1), dynamic: true }),
  def('unclean.leader.election.enable', 'boolean', 'false', { dynamic: true }),
  // Issue 14, the controller's (ControllerConfig / ControllerOptions in @samsa/coordinator);
  // parsed and validated here, handed to the controller when the broker wires replication.
  def('auto.leader.rebalance.enable', 'boolean', 'true'),
  def('leader.imbalance.check.interval.seconds', 'long', '300', { validate: atLeast(1) }),
  def('leader.imbalance.per.broker.percentage', 'int', '10', { validate: (v) => (typeof v === 'number' && (v < 0 || v > 100) ? 'must be between 0 and 100' : null) }),
  def('socket.request.max.bytes', 'int', '104857600', { validate: atLeast(1) }),
  // Finite defaults where Kafka has none (Int.MaxValue, -1): see the broker README.
  def('max.connections', 'int', '10000', { validate: atLeast(0) }),
  def('max.connections.per.ip', 'int', '2500', { validate: atLeast(0) }),
  def('queued.max.request.bytes', 'long', '536870912'),
  def('queued.max.requests', 'int', '500', { validate: atLeast(1) }),
  def('connections.max.idle.ms', 'long', '600000'),
  // KIP-227 incremental fetch sessions (src/fetch-sessions/), Kafka's names and defaults:
  // 0 slots turns sessions off; an unused session expires after the eviction time.
  def('max.incremental.fetch.session.cache.slots', 'int', '1000', { validate: between(0, 100_000) }),
  def('min.incremental.fetch.session.eviction.ms', 'int', '120000', { validate: between(1000, 86_400_000) }),
  def('offsets.topic.num.partitions', 'int', '50', { validate: atLeast(1) }),
  // Kafka's default; a cluster creates the topic with min(this, live brokers) (see the README).
  def('offsets.topic.replication.factor', 'short', '3', { validate: atLeast(1) }),
  // How long the group coordinator waits for a `__consumer_offsets` write to be replicated
  // (acks=all) before failing it (cluster with replication only).
  def('offsets.commit.timeout.ms', 'int', '5000', { validate: atLeast(1) }),
  def('offsets.retention.minutes', 'int', '10080', { validate: atLeast(1) }),
  def('offsets.retention.check.interval.ms', 'long', '600000', { validate: atLeast(1) }),
  def('offsets.topic.segment.bytes', 'int', '104857600', { validate: atLeast(LOG_SEGMENT_BYTES_MIN) }),
  def('transaction.state.log.replication.factor', 'short', '3', { used: false }),
  def('transaction.state.log.min.isr', 'int', '2', { used: false }),
  def('transaction.state.log.num.partitions', 'int', '50', { used: false }),
  def('group.initial.rebalance.delay.ms', 'int', '3000', { used: false }),
  // Kafka 4's mixed groups (KIP-848): whether a classic group with members becomes a consumer
  // group when a consumer-protocol member joins (upgrade), and a consumer group whose last
  // consumer-protocol member leaves becomes classic again (downgrade). Classic members join
  // a consumer group with members whatever the policy. Case-insensitive, as Kafka's.
  def('group.consumer.migration.policy', 'string', 'bidirectional', { validate: oneOfIgnoringCase('bidirectional', 'upgrade', 'downgrade', 'disabled') }),
  def('num.network.threads', 'int', '3', { used: false }),
  def('num.io.threads', 'int', '8', { used: false }),
  def('num.recovery.threads.per.data.dir', 'int', '1', { used: false }),
  def('socket.send.buffer.bytes', 'int', '102400', { used: false }),
  def('socket.receive.buffer.bytes', 'int', '102400', { used: false }),
  def('process.roles', 'list', '', { used: false }),
  def('controller.quorum.voters', 'list', '', { used: false }),
  def('controller.quorum.bootstrap.servers', 'list', '', { used: false }),
  def('controller.listener.names', 'list', null, { used: false }),
  def('inter.broker.listener.name', 'string', null, { used: false }),
  def('listener.security.protocol.map', 'string', 'PLAINTEXT:PLAINTEXT', { used: false }),
  def('zookeeper.connect', 'string', null, { used: false }),
  def('zookeeper.connection.timeout.ms', 'int', null, { used: false }),
  def('cluster.id', 'string', null),
  def('rack', 'string', null, { used: false }),
  def('broker.rack', 'string', null),
  // A cluster (issue 13): where the metadata lives, and this broker's lease in it. `local`
  // is the single broker (a file in its data dir); `etcd` needs `etcd.endpoints`. The two
  // timings keep Kafka's KRaft names and defaults: the lease TTL and the keepalive period.
  def('metadata.store', 'string', 'local', { validate: oneOf('local', 'etcd') }),
  def('etcd.endpoints', 'list', '', { validate: clientUrls }),
  def('broker.session.timeout.ms', 'int', '9000', { validate: atLeast(1000) }),
  def('broker.heartbeat.interval.ms', 'int', '2000', { validate: atLeast(100) }),
  // Replica fetch between brokers (issue 14, packages/broker/src/replication/): Kafka's names
  // and defaults, bounded. `replica.listener` is Samsa's own: the internal msgpackr listener
  // (unset: the host of the first listener, a free port). Read by replica-fetch-config.ts.
  def('replica.listener', 'string', null, { validate: hostPort }),
  def('replica.fetch.max.bytes', 'int', '1048576', { validate: between(1, 1 << 30) }),
  def('replica.fetch.response.max.bytes', 'int', '10485760', { validate: between(1, 1 << 30) }),
  def('replica.fetch.wait.max.ms', 'int', '500', { validate: between(0, 300_000) }),
  def('replica.fetch.min.bytes', 'int', '1', { validate: between(1, 1 << 30) }),
  def('replica.fetch.backoff.ms', 'int', '1000', { validate: between(0, 300_000) }),
  def('replica.socket.timeout.ms', 'int', '30000', { validate: between(1000, 3_600_000) }),
  def('num.replica.fetchers', 'int', '1', { validate: between(1, 64) }),
  // Testing / NAT aid: leader broker id → host:port a follower dials instead of the leader's
  // registered replica listener (`2=127.0.0.1:40112,3=…`; empty: none). Parsed and checked
  // by replica-fetch-config.ts (parseEndpointOverrides), which reports a bad entry.
  def('replica.fetch.endpoint.overrides', 'string', '', { validate: endpointOverrides('replica.fetch.endpoint.overrides') }),
  // The same for the controller: controller broker id → host:port this broker dials to
  // forward admin requests and AlterPartition instead of the controller's registered
  // client endpoint (cluster/controller-client.ts). The chaos suite routes it through a
  // fault proxy, so a partition cuts a broker from the controller too.
  def('controller.endpoint.overrides', 'string', '', { validate: endpointOverrides('controller.endpoint.overrides') }),
  // A leader proposes an ISR follower out after this long without catching up (Kafka's
  // default, 30 s). Read by the replica manager (replication/replica-manager.ts).
  def('replica.lag.time.max.ms', 'int', '30000', { validate: between(100, 3_600_000) }),
];

export const BROKER_CONFIG_DEF_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));
