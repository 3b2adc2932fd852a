/**
 * ReplicaFetchConfig: the replica-fetch settings of a broker, read from its parsed config
 * values (broker-config-defs.ts validates each key's range; this adds the checks that
 * involve two keys).
 *
 * Invariants:
 * - socketTimeoutMs > waitMaxMs: a long poll always ends before the fetcher gives up on
 *   the connection (Kafka requires the same of replica.socket.timeout.ms).
 * - fetchMaxBytes ≤ responseMaxBytes: one partition's share fits in the whole response.
 * - responseFrameBytesMax bounds what a fetcher accepts from a leader: the response limit
 *   plus room for one batch larger than the limit (a leader always returns the first batch
 *   of a partition whole, as Kafka does, so a follower never gets stuck behind it) and the
 *   per-partition metadata.
 * - endpointOverrides (`replica.fetch.endpoint.overrides`, text
 *   `<leader broker id>=<host>:<port>[,…]`, e.g. `2=127.0.0.1:40112,3=127.0.0.1:40113`)
 *   maps a leader's broker id to the address this broker's fetchers dial instead of the
 *   leader's registered `host:replicationPort` (a fault proxy in the chaos suite, a NAT-like
 *   setup). Ids are unique, ports 1–65535, at most ENDPOINT_OVERRIDES_MAX entries. The
 *   connection's Hello still checks broker id and cluster id, so a wrong mapping is
 *   refused by the far end, never trusted.
 */
import { ConfigError, type ConfigValue } from '../config/config-types.ts';

export interface ReplicaListenerAddress {
  readonly host: string;
  /** 0: any free port (the chosen one goes into the broker's registration). */
  readonly port: number;
}

export interface ReplicaFetchConfig {
  /** `replica.listener`; null: the host of the broker's first listener, port 0. */
  readonly listener: ReplicaListenerAddress | null;
  /** `replica.fetch.max.bytes`: per partition, per fetch. */
  readonly fetchMaxBytes: number;
  /** `replica.fetch.response.max.bytes`: per fetch, all partitions. */
  readonly responseMaxBytes: number;
  /** `replica.fetch.wait.max.ms`: the long poll's bound on the leader. */
  readonly waitMaxMs: number;
  /** `replica.fetch.min.bytes`: the leader answers earlier once it has this much. */
  readonly minBytes: number;
  /** `replica.fetch.backoff.ms`: pause after a failed fetch or connection before the next. */
  readonly backoffMs: number;
  /** `replica.socket.timeout.ms`: a request unanswered for this long closes the connection. */
  readonly socketTimeoutMs: number;
  /** `num.replica.fetchers`: connections per leader broker; partitions are hashed over them. */
  readonly fetchers: number;
  /** Largest response frame a fetcher accepts (derived, see the file comment). */
  readonly responseFrameBytesMax: number;
  /** `replica.fetch.endpoint.overrides`: leader broker id → the address to dial instead of its registered one. */
  readonly endpointOverrides: ReadonlyMap<number, ReplicaListenerAddress>;
}

/** Most entries `replica.fetch.endpoint.overrides` may hold. */
export const ENDPOINT_OVERRIDES_MAX = 1024;

/** Room over replica.fetch.response.max.bytes: one oversized first batch (message.max.bytes is ~1 MiB by default) and metadata. */
export const RESPONSE_FRAME_SLACK_BYTES = 2 * 1024 * 1024;

export const REPLICA_FETCH_DEFAULTS: ReplicaFetchConfig = {
  listener: null,
  fetchMaxBytes: 1024 * 1024,
  responseMaxBytes: 10 * 1024 * 1024,
  waitMaxMs: 500,
  minBytes: 1,
  backoffMs: 1000,
  socketTimeoutMs: 30_000,
  fetchers: 1,
  responseFrameBytesMax: 10 * 1024 * 1024 + RESPONSE_FRAME_SLACK_BYTES,
  endpointOverrides: new Map(),
};

/** Reads the replica-fetch keys from a ServerConfig's `values`; throws ConfigError on inconsistent ones. */
export function replicaFetchConfigOf(values: ReadonlyMap<string, ConfigValue>): ReplicaFetchConfig {
  const n = (key: string, fallback: number): number => {
    const v = values.get(key);
    return typeof v === 'number' ? v : fallback;
  };
  const d = REPLICA_FETCH_DEFAULTS;
  const listenerText = values.get('replica.listener');
  const responseMaxBytes = n('replica.fetch.response.max.bytes', d.responseMaxBytes);
  const overridesText = values.get('replica.fetch.endpoint.overrides');
  const config: ReplicaFetchConfig = {
    listener: typeof listenerText === 'string' ? parseReplicaListener(listenerText) : null,
    fetchMaxBytes: n('replica.fetch.max.bytes', d.fetchMaxBytes),
    responseMaxBytes,
    waitMaxMs: n('replica.fetch.wait.max.ms', d.waitMaxMs),
    minBytes: n('replica.fetch.min.bytes', d.minBytes),
    backoffMs: n('replica.fetch.backoff.ms', d.backoffMs),
    socketTimeoutMs: n('replica.socket.timeout.ms', d.socketTimeoutMs),
    fetchers: n('num.replica.fetchers', d.fetchers),
    responseFrameBytesMax: responseMaxBytes + RESPONSE_FRAME_SLACK_BYTES,
    endpointOverrides: typeof overridesText === 'string' ? parseEndpointOverrides(overridesText) : d.endpointOverrides,
  };
  if (config.socketTimeoutMs <= config.waitMaxMs) {
    throw new ConfigError('bad-value', 'replica.socket.timeout.ms', `replica.socket.timeout.ms (${config.socketTimeoutMs}) must be larger than replica.fetch.wait.max.ms (${config.waitMaxMs})`);
  }
  if (config.fetchMaxBytes > config.responseMaxBytes) {
    throw new ConfigError('bad-value', 'replica.fetch.max.bytes', `replica.fetch.max.bytes (${config.fetchMaxBytes}) must not exceed replica.fetch.response.max.bytes (${config.responseMaxBytes})`);
  }
  return config;
}

/** `host:port` → address; `[::1]:0` keeps the brackets off the host. */
export function parseReplicaListener(text: string): ReplicaListenerAddress {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw new ConfigError('bad-value', 'replica.listener', `"${text}" is not host:port like 127.0.0.1:0`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

const OVERRIDES_KEY = 'replica.fetch.endpoint.overrides';

/**
 * `2=127.0.0.1:40112,3=127.0.0.1:40113` → broker id → address (see the file comment); empty
 * or blank text → no overrides. Throws ConfigError naming the bad entry under `key` (the
 * same syntax serves `controller.endpoint.overrides`).
 */
export function parseEndpointOverrides(text: string, key: string = OVERRIDES_KEY): ReadonlyMap<number, ReplicaListenerAddress> {
  const overrides = new Map<number, ReplicaListenerAddress>();
  if (text.trim() === '') return overrides;
  const entries = text.split(',');
  if (entries.length > ENDPOINT_OVERRIDES_MAX) throw new ConfigError('bad-value', key, `more than ${ENDPOINT_OVERRIDES_MAX} entries`);
  for (const raw of entries) {
    const entry = raw.trim();
    const m = /^([0-9]{1,10})=(.+)$/.exec(entry);
    const id = m === null ? NaN : Number(m[1]);
    if (m === null || id > 0x7fffffff) throw new ConfigError('bad-value', key, `"${entry}" is not <broker id>=<host>:<port> like 2=127.0.0.1:40112`);
    let address: ReplicaListenerAddress;
    try {
      address = parseReplicaListener(m[2]!);
    } catch {
      throw new ConfigError('bad-value', key, `"${entry}": "${m[2]!}" is not host:port like 127.0.0.1:40112`);
    }
    if (address.port === 0) throw new ConfigError('bad-value', key, `"${entry}": port 0 cannot be dialled`);
    if (overrides.has(id)) throw new ConfigError('bad-value', key, `broker ${id} is mapped twice`);
    overrides.set(id, address);
  }
  return overrides;
}
