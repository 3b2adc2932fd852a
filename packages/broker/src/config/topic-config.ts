/**
 * Topic configs: Kafka's topic-level keys, each with the broker key it defaults from
 * (its "synonym"), and the resolution DescribeConfigs reports:
 *   topic override (TOPIC_CONFIG) → dynamic broker config (DYNAMIC_BROKER_CONFIG)
 *   → cluster-wide default broker config (DYNAMIC_DEFAULT_BROKER_CONFIG, cluster mode only)
 *   → server.properties (STATIC_BROKER_CONFIG) → Kafka default (DEFAULT_CONFIG).
 * `dynamic` is this broker's own dynamic overrides, `clusterDefaults` the cluster-wide
 * defaults (`{}` on a single broker, whose "" resource is its own overrides).
 *
 * `EffectiveTopicConfig` is the typed view the partition code uses (segment size,
 * retention, max message bytes, timestamp type, flush policy, compaction settings).
 */
import { BROKER_CONFIG_DEF_BY_NAME } from './broker-config-defs.ts';
import type { ConfigDef } from './broker-config-defs.ts';
import { ConfigError, ConfigSource, formatConfigValue, parseConfigValue } from './config-types.ts';
import type { ConfigType, ConfigValue } from './config-types.ts';
import { LOG_SEGMENT_BYTES_MIN, LOG_SEGMENT_INDEX_BYTES_MIN, LOG_SEGMENT_MS_MIN } from './log-limits.ts';
import type { ServerConfig } from './server-config.ts';

export interface TopicConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** The broker key this defaults from, or null when the topic key has its own default. */
  readonly brokerSynonym: string | null;
  /** Default when there is no synonym. */
  readonly defaultText: string | null;
  readonly validate?: (value: unknown) => string | null;
}

const nonNegative = (v: unknown): string | null => (typeof v === 'number' && v < 0 ? 'must be non-negative' : null);
const atLeast = (min: number) => (v: unknown): string | null => (typeof v === 'number' && v < min ? `must be at least ${min}` : null);
const cleanupPolicy = (v: unknown): string | null =>
  Array.isArray(v) && v.every((p) => p === 'delete' || p === 'compact') && v.length > 0 ? null : 'must be delete, compact or both';
const oneOf = (...allowed: string[]) => (v: unknown): string | null =>
  typeof v === 'string' && !allowed.includes(v) ? `must be one of ${allowed.join(', ')}` : null;

const t = (name: string, type: ConfigType, brokerSynonym: string | null, defaultText: string | null, validate?: TopicConfigDef['validate']): TopicConfigDef =>
  validate ? { name, type, brokerSynonym, defaultText, validate } : { name, type, brokerSynonym, defaultText };

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  t('cleanup.policy', 'list', 'log.cleanup.policy', null, cleanupPolicy),
  t('compression.type', 'string', 'compression.type', null, oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  t('delete.retention.ms', 'long', 'log.cleaner.delete.retention.ms', null, nonNegative),
  t('file.delete.delay.ms', 'long', 'log.segment.delete.delay.ms', null, nonNegative),
  t('flush.messages', 'long', 'log.flush.interval.messages', null, atLeast(1)),
  t('flush.ms', 'long', 'log.flush.interval.ms', null, nonNegative),
  t('index.interval.bytes', 'int', 'log.index.interval.bytes', null, nonNegative),
  t('max.compaction.lag.ms', 'long', 'log.cleaner.max.compaction.lag.ms', null, atLeast(1)),
  t('max.message.bytes', 'int', 'message.max.bytes', null, nonNegative),
  t('message.downconversion.enable', 'boolean', null, 'true'),
  t('message.timestamp.type', 'string', 'log.message.timestamp.type', null, oneOf('CreateTime', 'LogAppendTime')),
  t('min.cleanable.dirty.ratio', 'double', 'log.cleaner.min.cleanable.ratio', null),
  t('min.compaction.lag.ms', 'long', 'log.cleaner.min.compaction.lag.ms', null, nonNegative),
  t('min.insync.replicas', 'int', 'min.insync.replicas', null, atLeast(1)),
  t('preallocate', 'boolean', 'log.preallocate', null),
  t('retention.bytes', 'long', 'log.retention.bytes', null),
  t('retention.ms', 'long', 'log.retention.ms', null, atLeast(-1)),
  t('segment.bytes', 'int', 'log.segment.bytes', null, atLeast(LOG_SEGMENT_BYTES_MIN)),
  t('segment.index.bytes', 'int', 'log.index.size.max.bytes', null, atLeast(LOG_SEGMENT_INDEX_BYTES_MIN)),
  t('segment.jitter.ms', 'long', null, '0', nonNegative),
  t('segment.ms', 'long', 'log.roll.ms', null, atLeast(LOG_SEGMENT_MS_MIN)),
  t('unclean.leader.election.enable', 'boolean', 'unclean.leader.election.enable', null),
];

export const TOPIC_CONFIG_DEF_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));

export interface ResolvedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly type: ConfigType;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  readonly sensitive: boolean;
  /** Other places the value could come from, highest precedence first (DescribeConfigs synonyms). */
  readonly synonyms: ReadonlyArray<{ readonly name: string; readonly value: string | null; readonly source: number }>;
}

/** Validates one topic override and returns its normalized text; throws ConfigError naming the key. */
export function validateTopicConfig(name: string, text: string | null): string | null {
  const d = TOPIC_CONFIG_DEF_BY_NAME.get(name);
  if (!d) throw new ConfigError('unknown-key', name, `Unknown topic config name: ${name}`);
  const value = parseConfigValue(name, d.type, text);
  const problem = value === null ? null : (d.validate?.(value) ?? null);
  if (problem) throw new ConfigError('bad-value', name, `Invalid value ${text} for configuration ${name}: ${problem}`);
  return formatConfigValue(value, d.type);
}

/**
 * Broker-level value of `key` with its source, honouring derived keys (retention hours → ms):
 * this broker's dynamic override, else the cluster-wide default, else server.properties,
 * else Kafka's default. The synonyms list every layer that has the key, in that order.
 */
export function resolveBrokerConfig(server: ServerConfig, dynamic: Readonly<Record<string, string>>, key: string, clusterDefaults: Readonly<Record<string, string>> = {}): ResolvedConfig | null {
  const d: ConfigDef | undefined = BROKER_CONFIG_DEF_BY_NAME.get(key);
  if (!d) return null;
  const synonyms: Array<{ name: string; value: string | null; source: number }> = [];
  const staticValue = formatConfigValue(derivedBrokerValue(server, key), d.type);
  const staticExplicit = server.explicitKeys.has(key) || derivedExplicit(server, key);
  if (Object.hasOwn(dynamic, key)) synonyms.push({ name: key, value: dynamic[key] ?? null, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
  if (Object.hasOwn(clusterDefaults, key)) synonyms.push({ name: key, value: clusterDefaults[key] ?? null, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  const dynamicLayer = synonyms[0];
  const value = dynamicLayer ? dynamicLayer.value : staticValue;
  const source = dynamicLayer ? dynamicLayer.source : staticExplicit ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
  if (staticExplicit) synonyms.push({ name: key, value: staticValue, source: ConfigSource.STATIC_BROKER_CONFIG });
  synonyms.push({ name: key, value: formatConfigValue(parseConfigValue(key, d.type, d.defaultText), d.type), source: ConfigSource.DEFAULT_CONFIG });
  return {
    name: key,
    value,
    source,
    type: d.type,
    readOnly: !d.dynamic,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    sensitive: d.type === 'password',
    synonyms,
  };
}

function derivedBrokerValue(server: ServerConfig, key: string): ConfigValue {
  if (key === 'log.retention.ms') return server.logRetentionMs;
  if (key === 'log.roll.ms') return server.logRollMs;
  return server.values.get(key) ?? null;
}

function derivedExplicit(server: ServerConfig, key: string): boolean {
  const e = server.explicitKeys;
  if (key === 'log.retention.ms') return e.has('log.retention.minutes') || e.has('log.retention.hours');
  if (key === 'log.roll.ms') return e.has('log.roll.hours');
  return false;
}

/** Every topic config with its effective value and source. */
export function resolveTopicConfigs(
  server: ServerConfig,
  dynamic: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
  clusterDefaults: Readonly<Record<string, string>> = {},
): ResolvedConfig[] {
  return TOPIC_CONFIG_DEFS.map((d) => resolveTopicConfig(server, dynamic, overrides, d, clusterDefaults));
}

function resolveTopicConfig(
  server: ServerConfig,
  dynamic: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
  d: TopicConfigDef,
  clusterDefaults: Readonly<Record<string, string>>,
): ResolvedConfig {
  const broker = d.brokerSynonym ? resolveBrokerConfig(server, dynamic, d.brokerSynonym, clusterDefaults) : null;
  const brokerSynonyms = broker ? broker.synonyms.map((s) => ({ ...s, name: d.brokerSynonym! })) : [];
  const fallbackValue = broker ? broker.value : d.defaultText;
  const fallbackSource = broker ? broker.source : ConfigSource.DEFAULT_CONFIG;
  const base = { name: d.name, type: d.type, readOnly: false, sensitive: false };
  if (Object.hasOwn(overrides, d.name)) {
    const value = overrides[d.name] ?? null;
    return { ...base, value, source: ConfigSource.TOPIC_CONFIG, isDefault: false, synonyms: [{ name: d.name, value, source: ConfigSource.TOPIC_CONFIG }, ...brokerSynonyms] };
  }
  // Kafka reports flush.ms's Long.MAX default even though the broker key's default is null.
  const value = fallbackValue ?? (d.type === 'long' ? '9223372036854775807' : null);
  return { ...base, value, source: fallbackSource, isDefault: fallbackSource === ConfigSource.DEFAULT_CONFIG, synonyms: brokerSynonyms };
}

/** The typed settings the partition code needs, resolved from the layers above. */
export interface EffectiveTopicConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly cleanupPolicy: readonly string[];
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
  readonly minInsyncReplicas: number;
  /** Compaction (cleanup.policy=compact): how long tombstones survive a cleaning pass. */
  readonly deleteRetentionMs: number;
  /** Compaction: records younger than this are not cleaned yet. */
  readonly minCompactionLagMs: number;
  /** Compaction: a log is cleaned once dirty bytes / cleanable bytes reach this. */
  readonly minCleanableDirtyRatio: number;
  /** How long deleted segment files / partition directories stay before removal. */
  readonly fileDeleteDelayMs: number;
}

/** Distinct (dynamic, overrides) pairs remembered per ServerConfig; the memo starts over past it. */
export const EFFECTIVE_CONFIG_MEMO_MAX = 1024;
const effectiveConfigMemo = new WeakMap<ServerConfig, Map<string, EffectiveTopicConfig>>();

/**
 * The effective config of a topic with `overrides` (its own configs) over the dynamic
 * (this broker's, then the cluster-wide defaults) and static broker configs. Memoized by
 * content (a ServerConfig never changes after parsing): a restart asks for the config of
 * each of 20,000 partitions several times, and resolving every key with its synonyms was
 * the largest CPU cost of a clean restart.
 */
export function effectiveTopicConfig(
  server: ServerConfig,
  brokerDynamic: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
  clusterDefaults: Readonly<Record<string, string>> = {},
): EffectiveTopicConfig {
  // Only values matter here, not their sources: one merged layer (this broker's keys win).
  const dynamic = Object.keys(clusterDefaults).length === 0 ? brokerDynamic : { ...clusterDefaults, ...brokerDynamic };
  const key = JSON.stringify([sortedEntries(dynamic), sortedEntries(overrides)]);
  let memo = effectiveConfigMemo.get(server);
  if (memo === undefined) effectiveConfigMemo.set(server, (memo = new Map()));
  const known = memo.get(key);
  if (known !== undefined) return known;
  const config = Object.freeze(computeEffectiveTopicConfig(server, dynamic, overrides));
  if (memo.size >= EFFECTIVE_CONFIG_MEMO_MAX) memo.clear();
  memo.set(key, config);
  return config;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function computeEffectiveTopicConfig(
  server: ServerConfig,
  dynamic: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
): EffectiveTopicConfig {
  const byName = new Map(resolveTopicConfigs(server, dynamic, overrides).map((r) => [r.name, r]));
  const get = (name: string): ConfigValue => {
    const r = byName.get(name)!;
    return parseConfigValue(name, r.type, r.value);
  };
  const num = (name: string, fallback: number): number => {
    const v = get(name);
    return typeof v === 'number' ? v : fallback;
  };
  return {
    segmentBytes: num('segment.bytes', 1073741824),
    segmentMs: num('segment.ms', 604800000),
    retentionMs: num('retention.ms', 604800000),
    retentionBytes: num('retention.bytes', -1),
    maxMessageBytes: num('max.message.bytes', 1048588),
    logAppendTime: get('message.timestamp.type') === 'LogAppendTime',
    flushMessages: num('flush.messages', Number.MAX_SAFE_INTEGER),
    flushMs: num('flush.ms', Number.MAX_SAFE_INTEGER),
    cleanupPolicy: (get('cleanup.policy') as readonly string[] | null) ?? ['delete'],
    indexIntervalBytes: num('index.interval.bytes', 4096),
    segmentIndexBytes: num('segment.index.bytes', 10485760),
    minInsyncReplicas: num('min.insync.replicas', 1),
    deleteRetentionMs: num('delete.retention.ms', 86_400_000),
    minCompactionLagMs: num('min.compaction.lag.ms', 0),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio', 0.5),
    fileDeleteDelayMs: num('file.delete.delay.ms', 60_000),
  };
}
