/**
 * Turns `samsa broker` flags into the override list the core's config parser takes.
 *
 * Precedence, lowest first: Kafka's defaults < `--config FILE` < `--override k=v` (in
 * order) < the shortcuts `--host`, `--port`, `--data-dir`, `--node-id`. Two defaults
 * differ from Kafka's on purpose: with no `listeners` anywhere the broker binds
 * 127.0.0.1:9092 (not every interface), and with no `log.dirs`/`log.dir` the data goes
 * to ./data (not /tmp/kafka-logs).
 */
import { parseOverride, parsePropertiesText } from '@samsa/broker';

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
  return { overrides: pairs, dataDirShown };
}
