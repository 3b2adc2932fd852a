/**
 * Turns `samsa broker` flags into the override list the core's config parser takes.
 *
 * Precedence, lowest first: Kafka's defaults < `--config FILE` < `--override k=v` (in
 * order) < the shortcuts `--host`, `--port`, `--data-dir`, `--node-id`, `--metadata`. Two
 * defaults differ from Kafka's on purpose: with no `listeners` anywhere the broker binds
 * 127.0.0.1:9092 (not every interface), and with no `log.dirs`/`log.dir` the data goes
 * to ./data (not /tmp/kafka-logs).
 *
 * `--metadata etcd://host:port[,host:port...]` sets `metadata.store=etcd` and
 * `etcd.endpoints` (http://host:port each); `--metadata local` the single-broker default.
 * In a cluster with no `cluster.id` anywhere, `cluster.id` becomes `samsa`
 * (cluster-config.ts), so every broker of one etcd shares the prefix /samsa/samsa/.
 */
import { parseOverride, parsePropertiesText } from '@samsa/broker';
import { CliError, ExitCode } from './cli-error.ts';
import { CLUSTER_ID_DEFAULT } from './cluster-config.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 9092;
export const DEFAULT_DATA_DIR = './data';

export interface BrokerFlags {
  readonly configText: string;
  readonly overrides: readonly string[];
  readonly host?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly nodeId?: number;
  /** `--metadata`: `etcd://host:port[,host:port...]` or `local`. */
  readonly metadata?: string;
}

export interface ResolvedFlags {
  /** Overrides for the core parser, in application order. */
  readonly overrides: Array<[string, string]>;
  /** The data directory as the user wrote it (for the connect line). */
  readonly dataDirShown: string;
}

/** `resolvePath` makes the data dir absolute (the runtime's FileSystem wants POSIX absolute paths). */
export function resolveBrokerFlags(flags: BrokerFlags, resolvePath: (p: string) => string): ResolvedFlags {
  const fromFile = new Map(parsePropertiesText(flags.configText));
  const pairs: Array<[string, string]> = [];
  const explicit = new Map(fromFile);
  for (const o of flags.overrides) {
    const [k, v] = parseOverride(o);
    pairs.push([k, v]);
    explicit.set(k, v);
  }
  const listenerText = explicit.get('listeners');
  if (flags.host !== undefined || flags.port !== undefined || listenerText === undefined) {
    const current = listenerText === undefined ? undefined : /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:,]*):(\d+)/.exec(listenerText.split(',')[0]!.trim());
    const name = current?.[1] ?? 'PLAINTEXT';
    const host = flags.host ?? (current ? current[2]! : DEFAULT_HOST);
    const port = flags.port ?? (current ? Number(current[3]) : DEFAULT_PORT);
    const hostText = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    pairs.push(['listeners', `${name}://${hostText}:${port}`]);
  }
  let dataDirShown: string;
  if (flags.dataDir !== undefined) dataDirShown = flags.dataDir;
  else if (explicit.has('log.dirs')) dataDirShown = explicit.get('log.dirs')!;
  else if (explicit.has('log.dir')) dataDirShown = explicit.get('log.dir')!;
  else dataDirShown = DEFAULT_DATA_DIR;
  const dirs = dataDirShown.split(',').map((d) => d.trim()).filter((d) => d.length > 0).map(resolvePath);
  pairs.push(['log.dirs', dirs.join(',')]);
  if (flags.nodeId !== undefined) pairs.push(['node.id', String(flags.nodeId)]);
  if (flags.metadata !== undefined) {
    for (const [k, v] of parseMetadataFlag(flags.metadata)) {
      pairs.push([k, v]);
      explicit.set(k, v);
    }
  }
  if (explicit.get('metadata.store') === 'etcd' && !explicit.has('cluster.id')) pairs.push(['cluster.id', CLUSTER_ID_DEFAULT]);
  return { overrides: pairs, dataDirShown };
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** `--metadata` → the config pairs it stands for; a malformed value is a usage error (exit 2). */
export function parseMetadataFlag(text: string): Array<[string, string]> {
  const value = text.trim();
  if (value === 'local') return [['metadata.store', 'local']];
  const usage = (why: string): CliError => new CliError(`--metadata ${text}: ${why}. Use etcd://host:port[,host:port...] (e.g. etcd://127.0.0.1:2379) or local.`, ExitCode.usage);
  if (!value.startsWith('etcd://')) throw usage('unknown metadata store');
  const members = value.slice('etcd://'.length).split(',').map((m) => m.trim());
  if (members.length === 0 || members.some((m) => m === '')) throw usage('an empty etcd endpoint');
  const endpoints = members.map((m) => {
    const match = HOST_PORT.exec(m);
    if (!match || Number(match[2]) > 65535) throw usage(`"${m}" is not host:port`);
    return `http://${m}`;
  });
  return [
    ['metadata.store', 'etcd'],
    ['etcd.endpoints', endpoints.join(',')],
  ];
}
