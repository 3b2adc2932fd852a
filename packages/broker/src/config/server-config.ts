/**
 * ServerConfig: a pure parser for Kafka `server.properties` text plus `key=value` overrides.
 *
 * Syntax is java.util.Properties' line format, which is what Kafka reads: `key=value`,
 * `key: value` or `key value`; `#` and `!` start comments; a trailing backslash continues
 * the line. Keys are Kafka's property names (see broker-config-defs.ts). An unknown key or
 * a value that does not parse is a ConfigError naming the key. Overrides win over the file.
 *
 * The result is typed (`nodeId`, `listeners`, ...) and also keeps every parsed value and
 * which keys were set explicitly, because DescribeConfigs reports sources.
 */
import { BROKER_CONFIG_DEF_BY_NAME, BROKER_CONFIG_DEFS } from './broker-config-defs.ts';
import { ConfigError, parseConfigValue } from './config-types.ts';
import type { ConfigValue } from './config-types.ts';

export interface ListenerAddress {
  /** Listener name, e.g. PLAINTEXT. */
  readonly name: string;
  /** Empty string means "all interfaces". */
  readonly host: string;
  readonly port: number;
}

export interface ServerConfig {
  readonly nodeId: number;
  readonly listeners: readonly ListenerAddress[];
  /** What Metadata advertises; defaults to `listeners` (with an empty host → the given fallback host). */
  readonly advertisedListeners: readonly ListenerAddress[];
  readonly logDirs: readonly string[];
  readonly clusterId: string | null;
  readonly rack: string | null;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  /** Effective retention: log.retention.ms, else minutes, else hours. -1 = forever. */
  readonly logRetentionMs: number;
  readonly logRetentionBytes: number;
  readonly logSegmentBytes: number;
  readonly logRollMs: number;
  readonly logFlushIntervalMessages: number;
  /** null = no time-based flush. */
  readonly logFlushIntervalMs: number | null;
  readonly messageMaxBytes: number;
  readonly socketRequestMaxBytes: number;
  readonly maxConnections: number;
  readonly queuedMaxRequests: number;
  readonly offsetsTopicNumPartitions: number;
  /** Every known key → its parsed value (defaults included). */
  readonly values: ReadonlyMap<string, ConfigValue>;
  /** Keys set in the file or by an override (DescribeConfigs source STATIC_BROKER_CONFIG). */
  readonly explicitKeys: ReadonlySet<string>;
}

const LINES_MAX = 100_000;

/** Splits java.util.Properties text into [key, value] pairs, in order. */
export function parsePropertiesText(text: string): Array<[string, string]> {
  const rawLines = text.split(/\r\n|\r|\n/);
  if (rawLines.length > LINES_MAX) throw new ConfigError('syntax', '', `config has more than ${LINES_MAX} lines`);
  const pairs: Array<[string, string]> = [];
  let pending = '';
  for (const raw of rawLines) {
    const line = pending + (pending ? raw.trimStart() : raw);
    pending = '';
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const backslashes = /\\+$/.exec(trimmed)?.[0].length ?? 0;
    if (backslashes % 2 === 1) {
      pending = trimmed.slice(0, -1);
      continue;
    }
    pairs.push(splitKeyValue(trimmed));
  }
  if (pending.trim() !== '') pairs.push(splitKeyValue(pending.trim()));
  return pairs;
}

function splitKeyValue(line: string): [string, string] {
  const m = /^([^=:\s]+)\s*(?:[=:]\s*|\s+|$)(.*)$/.exec(line);
  if (!m) throw new ConfigError('syntax', line, `config line "${line}" is not key=value`);
  return [m[1]!, m[2]!.trim()];
}

/** Parses one `key=value` override (the CLI's `--override`). */
export function parseOverride(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new ConfigError('syntax', text, `override "${text}" is not key=value`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

export interface ParseServerConfigOptions {
  /** Contents of server.properties; empty or omitted means all defaults. */
  readonly text?: string;
  /** Applied after the file, in order: "key=value" strings or pairs. */
  readonly overrides?: ReadonlyArray<string | readonly [string, string]>;
}

export function parseServerConfig(options: ParseServerConfigOptions = {}): ServerConfig {
  const raw = new Map<string, string>();
  for (const [k, v] of parsePropertiesText(options.text ?? '')) raw.set(k, v);
  for (const o of options.overrides ?? []) {
    const [k, v] = typeof o === 'string' ? parseOverride(o) : o;
    raw.set(k, v);
  }
  const values = new Map<string, ConfigValue>();
  for (const [k] of raw) {
    if (!BROKER_CONFIG_DEF_BY_NAME.has(k)) throw new ConfigError('unknown-key', k, `unknown config key "${k}"`);
  }
  for (const d of BROKER_CONFIG_DEFS) {
    const value = parseConfigValue(d.name, d.type, raw.has(d.name) ? raw.get(d.name)! : d.defaultText);
    const problem = value === null ? null : (d.validate?.(value) ?? null);
    if (problem) throw new ConfigError('bad-value', d.name, `config ${d.name}=${raw.get(d.name) ?? d.defaultText}: ${problem}`);
    values.set(d.name, value);
  }
  return buildServerConfig(values, new Set(raw.keys()));
}

function buildServerConfig(values: Map<string, ConfigValue>, explicitKeys: Set<string>): ServerConfig {
  const num = (k: string): number => values.get(k) as number;
  const numOrNull = (k: string): number | null => (values.get(k) ?? null) as number | null;
  const str = (k: string): string | null => (values.get(k) ?? null) as string | null;
  const list = (k: string): readonly string[] | null => (values.get(k) ?? null) as readonly string[] | null;
  const listeners = parseListeners('listeners', list('listeners') ?? []);
  if (listeners.length === 0) throw new ConfigError('bad-value', 'listeners', 'config listeners: at least one listener is required');
  const advertisedRaw = list('advertised.listeners');
  const advertised = advertisedRaw && advertisedRaw.length > 0 ? parseListeners('advertised.listeners', advertisedRaw) : listeners;
  const retentionMs = numOrNull('log.retention.ms') ?? minutesToMs(numOrNull('log.retention.minutes')) ?? num('log.retention.hours') * 3_600_000;
  return {
    nodeId: num('node.id'),
    listeners,
    advertisedListeners: advertised,
    logDirs: list('log.dirs') ?? [str('log.dir')!],
    clusterId: str('cluster.id'),
    rack: str('broker.rack'),
    numPartitions: num('num.partitions'),
    defaultReplicationFactor: num('default.replication.factor'),
    autoCreateTopicsEnable: values.get('auto.create.topics.enable') as boolean,
    deleteTopicEnable: values.get('delete.topic.enable') as boolean,
    logRetentionMs: retentionMs < 0 ? -1 : retentionMs,
    logRetentionBytes: num('log.retention.bytes'),
    logSegmentBytes: num('log.segment.bytes'),
    logRollMs: numOrNull('log.roll.ms') ?? num('log.roll.hours') * 3_600_000,
    logFlushIntervalMessages: num('log.flush.interval.messages'),
    logFlushIntervalMs: numOrNull('log.flush.interval.ms'),
    messageMaxBytes: num('message.max.bytes'),
    socketRequestMaxBytes: num('socket.request.max.bytes'),
    maxConnections: num('max.connections'),
    queuedMaxRequests: num('queued.max.requests'),
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions'),
    values,
    explicitKeys,
  };
}

function minutesToMs(minutes: number | null): number | null {
  return minutes === null ? null : minutes * 60_000;
}

/** "PLAINTEXT://host:9092" → { name, host, port }. IPv6 hosts go in brackets. */
export function parseListeners(key: string, entries: readonly string[]): ListenerAddress[] {
  return entries.map((entry) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry.trim());
    if (!m) throw new ConfigError('bad-value', key, `config ${key}: "${entry}" is not NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError('bad-value', key, `config ${key}: port ${port} is out of range`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    return { name: m[1]!.toUpperCase(), host, port };
  });
}
