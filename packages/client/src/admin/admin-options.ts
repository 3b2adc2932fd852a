/**
 * Admin options, their defaults (Kafka's AdminClient defaults unless noted) and checks.
 * Units last in names; every retry loop and cache has a bound.
 */
import type { ClientOptions } from '../cluster/client-options.ts';
import type { ClusterOptions } from '../cluster/cluster.ts';

export interface AdminOptions extends ClientOptions {
  /** Bound on one request's answer; also the broker-side `timeoutMs` of CreateTopics & co. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Retries of a call after a retriable error (NOT_CONTROLLER, NOT_COORDINATOR, a lost connection …). Default 5. */
  readonly retriesMax?: number;
  /** Wait before the first retry, doubled up to `retryBackoffMaxMs`. Defaults 100 and 1 000. */
  readonly retryBackoffMs?: number;
  readonly retryBackoffMaxMs?: number;
  /** Group coordinators remembered (then the cache starts over). Default 10 000. */
  readonly coordinatorsCachedMax?: number;
  /** Passed to the cluster's connections; `clientApiVersions` defaults to ADMIN_API_VERSIONS (tests narrow it to force fallbacks). */
  readonly connection?: ClusterOptions['connection'];
}

export interface ResolvedAdminOptions {
  readonly requestTimeoutMs: number;
  readonly retriesMax: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly metadataMaxAgeMs: number;
  readonly coordinatorsCachedMax: number;
}

export const ADMIN_REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
export const ADMIN_RETRIES_MAX_DEFAULT = 5;
export const ADMIN_RETRY_BACKOFF_MS_DEFAULT = 100;
export const ADMIN_RETRY_BACKOFF_MAX_MS_DEFAULT = 1_000;
export const ADMIN_METADATA_MAX_AGE_MS_DEFAULT = 300_000;
export const ADMIN_COORDINATORS_CACHED_MAX_DEFAULT = 10_000;
/** Retries are bounded even when the caller asks for more. */
export const ADMIN_RETRIES_MAX_LIMIT = 100;

export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  const resolved: ResolvedAdminOptions = {
    requestTimeoutMs: options.requestTimeoutMs ?? ADMIN_REQUEST_TIMEOUT_MS_DEFAULT,
    retriesMax: options.retriesMax ?? ADMIN_RETRIES_MAX_DEFAULT,
    retryBackoffMs: options.retryBackoffMs ?? ADMIN_RETRY_BACKOFF_MS_DEFAULT,
    retryBackoffMaxMs: options.retryBackoffMaxMs ?? ADMIN_RETRY_BACKOFF_MAX_MS_DEFAULT,
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? ADMIN_METADATA_MAX_AGE_MS_DEFAULT,
    coordinatorsCachedMax: options.coordinatorsCachedMax ?? ADMIN_COORDINATORS_CACHED_MAX_DEFAULT,
  };
  if (!(resolved.requestTimeoutMs > 0)) throw new RangeError(`requestTimeoutMs must be > 0, got ${resolved.requestTimeoutMs}`);
  if (!Number.isInteger(resolved.retriesMax) || resolved.retriesMax < 0 || resolved.retriesMax > ADMIN_RETRIES_MAX_LIMIT) {
    throw new RangeError(`retriesMax must be an integer in [0, ${ADMIN_RETRIES_MAX_LIMIT}], got ${resolved.retriesMax}`);
  }
  if (!(resolved.retryBackoffMs >= 0) || !(resolved.retryBackoffMaxMs >= resolved.retryBackoffMs)) {
    throw new RangeError(`need 0 <= retryBackoffMs <= retryBackoffMaxMs, got ${resolved.retryBackoffMs} and ${resolved.retryBackoffMaxMs}`);
  }
  if (!(resolved.coordinatorsCachedMax >= 1)) throw new RangeError(`coordinatorsCachedMax must be >= 1, got ${resolved.coordinatorsCachedMax}`);
  return resolved;
}
