/**
 * The cluster part of a broker's config (issue 13): null on a single broker
 * (`metadata.store=local`, the default), else where etcd is and the lease timings.
 *
 * Checks the keys' combination (each key alone is checked by the core parser):
 * `metadata.store=etcd` needs at least one `etcd.endpoints` URL, the heartbeat must be
 * shorter than the session timeout, and the cluster id must be one the key layout takes
 * (`[a-zA-Z0-9._-]`, at most 64 chars). A failure is a ConfigError naming the key, so the CLI
 * exits 2. `cluster.id` defaults to `samsa` in a cluster: every broker of one etcd then
 * finds the others under `/samsa/samsa/` without configuring anything.
 */
import { ConfigError } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';

export const CLUSTER_ID_DEFAULT = 'samsa';
const CLUSTER_ID = /^[a-zA-Z0-9._-]{1,64}$/;

export interface ClusterConfig {
  readonly clusterId: string;
  /** etcd client URLs (http://host:port). */
  readonly endpoints: readonly string[];
  /** broker.session.timeout.ms: the lease TTL. */
  readonly sessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms: the keepalive period. */
  readonly heartbeatIntervalMs: number;
}

export function clusterConfigFrom(config: ServerConfig): ClusterConfig | null {
  if (config.values.get('metadata.store') !== 'etcd') return null;
  const endpoints = (config.values.get('etcd.endpoints') ?? []) as readonly string[];
  if (endpoints.length === 0) {
    throw new ConfigError('bad-value', 'etcd.endpoints', 'config etcd.endpoints: metadata.store=etcd needs at least one etcd client URL (etcd.endpoints=http://127.0.0.1:2379, or --metadata etcd://127.0.0.1:2379)');
  }
  const sessionTimeoutMs = config.values.get('broker.session.timeout.ms') as number;
  const heartbeatIntervalMs = config.values.get('broker.heartbeat.interval.ms') as number;
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError('bad-value', 'broker.heartbeat.interval.ms', `config broker.heartbeat.interval.ms=${heartbeatIntervalMs}: must be below broker.session.timeout.ms (${sessionTimeoutMs}), or the lease expires between keepalives`);
  }
  const clusterId = config.clusterId ?? CLUSTER_ID_DEFAULT;
  if (!CLUSTER_ID.test(clusterId)) {
    throw new ConfigError('bad-value', 'cluster.id', `config cluster.id=${clusterId}: in a cluster it names the etcd prefix /samsa/<cluster.id>/, so it may only hold letters, digits, '.', '_' and '-' (at most 64)`);
  }
  return { clusterId, endpoints, sessionTimeoutMs, heartbeatIntervalMs };
}
