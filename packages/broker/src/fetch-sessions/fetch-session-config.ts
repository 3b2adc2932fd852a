/**
 * The fetch session settings of a broker, from its parsed config (broker-config-defs.ts
 * validates each key's range):
 * - `max.incremental.fetch.session.cache.slots` (Kafka's default 1000; 0 turns sessions
 *   off: every fetch is answered without one) → `slotsMax`;
 * - `min.incremental.fetch.session.eviction.ms` (Kafka's default 120000) → `evictionMs`:
 *   how long a session may go unused before it expires, and how old it must be before a
 *   larger newcomer may evict it.
 * - `partitionsPerSessionMax`: Samsa's own bound (Kafka has none); a full fetch of more
 *   partitions is answered without a session.
 */
import type { ConfigValue } from '../config/config-types.ts';

export const FETCH_SESSION_SLOTS_KEY = 'max.incremental.fetch.session.cache.slots';
export const FETCH_SESSION_EVICTION_MS_KEY = 'min.incremental.fetch.session.eviction.ms';

/** Partitions one session may cache: 1000 sessions of this many stay within tens of MiB. */
export const PARTITIONS_PER_SESSION_MAX = 10_000;

export interface FetchSessionConfig {
  readonly slotsMax: number;
  readonly evictionMs: number;
  readonly partitionsPerSessionMax: number;
}

export const FETCH_SESSION_DEFAULTS: FetchSessionConfig = { slotsMax: 1000, evictionMs: 120_000, partitionsPerSessionMax: PARTITIONS_PER_SESSION_MAX };

export function fetchSessionConfig(values: ReadonlyMap<string, ConfigValue>): FetchSessionConfig {
  const slots = values.get(FETCH_SESSION_SLOTS_KEY);
  const evictionMs = values.get(FETCH_SESSION_EVICTION_MS_KEY);
  return {
    slotsMax: typeof slots === 'number' ? slots : FETCH_SESSION_DEFAULTS.slotsMax,
    evictionMs: typeof evictionMs === 'number' ? evictionMs : FETCH_SESSION_DEFAULTS.evictionMs,
    partitionsPerSessionMax: PARTITIONS_PER_SESSION_MAX,
  };
}
