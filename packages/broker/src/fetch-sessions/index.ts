/** KIP-227 incremental fetch sessions: see README.md. Pure: time and ids are the caller's. */
export { CachedPartition } from './cached-partition.ts';
export { FetchSession } from './fetch-session.ts';
export { FetchSessionCache, type FetchSessionCacheOptions } from './fetch-session-cache.ts';
export { FETCH_SESSION_DEFAULTS, FETCH_SESSION_EVICTION_MS_KEY, FETCH_SESSION_SLOTS_KEY, fetchSessionConfig, PARTITIONS_PER_SESSION_MAX, type FetchSessionConfig } from './fetch-session-config.ts';
export { FetchSessionManager, type FetchContext, type PartitionAnswer, type SessionAnswer, type SessionRequest } from './fetch-session-manager.ts';
export { FINAL_EPOCH, INITIAL_EPOCH, INVALID_SESSION_ID, isFullFetch, nextEpoch } from './session-epoch.ts';
export { partitionKey, type PartitionOutcome, type SessionFetchParams, type SessionPartition, type SessionPartitionKey } from './session-partition.ts';
