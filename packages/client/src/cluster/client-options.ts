/**
 * The options every client (producer, consumer, admin) takes, and the one place that turns
 * them into a `Cluster`. Each client adds its own options on top and fixes what it must
 * (its API versions, whether metadata may auto-create topics).
 */
import type { Clock, Transport } from '@samsa/runtime';
import type { VersionRange } from '../connection/client-api-versions.ts';
import { Observer } from '../observability/observer.ts';
import type { ClientMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { Cluster } from './cluster.ts';
import type { ClusterOptions } from './cluster.ts';

export interface ClientOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /** `host:port` entries. */
  readonly bootstrap: readonly string[];
  readonly clientId?: string;
  /** Metadata older than this is fetched again before use. Default 300 000. */
  readonly metadataMaxAgeMs?: number;
  /** Passed to the cluster's connections. */
  readonly connection?: ClusterOptions['connection'];
  /** Where the client logs (connection losses, retries, rebalances). Default: silent. */
  readonly logger?: Logger;
  /** Callbacks for request timings, produced batches, fetched records, rebalances. */
  readonly metrics?: ClientMetrics;
}

/** What a client decides for its cluster, whatever the user passed. */
export interface ClusterChoices {
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** The versions this client speaks; the user's `connection.clientApiVersions` wins (tests narrow it). */
  readonly clientApiVersions?: ReadonlyMap<number, VersionRange>;
  readonly allowAutoTopicCreation?: boolean;
  /** Overrides `options.metadataMaxAgeMs` when the client resolved its own default. */
  readonly metadataMaxAgeMs?: number;
}

export function clusterFromOptions(options: ClientOptions, choices: ClusterChoices): Cluster {
  const metadataMaxAgeMs = choices.metadataMaxAgeMs ?? options.metadataMaxAgeMs;
  return new Cluster({
    transport: options.transport,
    clock: options.clock,
    bootstrap: options.bootstrap,
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    ...(metadataMaxAgeMs === undefined ? {} : { metadataMaxAgeMs }),
    ...(choices.allowAutoTopicCreation === undefined ? {} : { allowAutoTopicCreation: choices.allowAutoTopicCreation }),
    retryBackoffMs: choices.retryBackoffMs,
    connection: {
      requestTimeoutMs: choices.requestTimeoutMs,
      ...(choices.clientApiVersions === undefined ? {} : { clientApiVersions: choices.clientApiVersions }),
      ...options.connection,
    },
    observer: new Observer({
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    }),
  });
}
