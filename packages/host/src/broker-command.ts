/**
 * The flags of `samsa broker` (Node) and of the Deno broker, defined once with commander so
 * `--help`, validation and exit codes cannot drift between the runtimes. Each app adds its
 * action (and Deno its hidden launcher flags). Commander is plain JavaScript and runs on
 * Deno unchanged. The `--log-level` default is the app's to read (SAMSA_LOG_LEVEL).
 *
 * Config comes from `--config server.properties` (Kafka's property names), then
 * `--override key=value` (repeatable), then the shortcuts (see broker-flags.ts). An
 * unknown key or a bad value exits 2 with a message naming the key.
 */
import { Command, Option } from 'commander';
import { collect, intFlag } from './flag-parsers.ts';
import { LOG_LEVELS } from './log-levels.ts';

/** What commander hands the action: the parsed flags. */
export interface BrokerCommandOptions {
  config?: string;
  override?: string[];
  port?: number;
  host?: string;
  dataDir?: string;
  nodeId?: number;
  metadata?: string;
  adminPort?: number;
  recoverMetadataFromLogs?: boolean;
  logLevel: string;
}

export interface BrokerCommandSpec {
  /** Default of --log-level (the app reads SAMSA_LOG_LEVEL); 'info' when undefined. */
  readonly logLevelDefault?: string | undefined;
  readonly action: (options: BrokerCommandOptions) => Promise<void>;
}

export function brokerCommand(spec: BrokerCommandSpec): Command {
  return new Command('broker')
    .description('run a Samsa broker in the foreground (Ctrl-C stops it cleanly)')
    .option('-c, --config <file>', 'server.properties-style file with Kafka broker config keys')
    .option('-o, --override <key=value>', 'set a config key, repeatable; wins over --config', collect)
    .option('-p, --port <port>', 'listener port (default 9092)', intFlag('--port', 0, 65535))
    .option('-H, --host <host>', 'listener host (default 127.0.0.1)')
    .option('-d, --data-dir <dir>', 'where partition logs live: log.dirs (default ./data)')
    .option('--node-id <id>', 'node.id of this broker (default 1)', intFlag('--node-id', 0, 2_147_483_647))
    .option('--metadata <store>', 'cluster metadata: etcd://host:port[,host:port...] joins the cluster in that etcd (metadata.store=etcd, etcd.endpoints); default local (one broker, a file in the data dir)')
    .option('--admin-port <port>', 'serve /metrics and /healthz over HTTP on this port (default off)', intFlag('--admin-port', 0, 65535))
    .option('--recover-metadata-from-logs', 'if the metadata (samsa-metadata.kv) is missing but partition dirs exist, rebuild the topics from the dirs (configs default) instead of refusing to start')
    .addOption(new Option('--log-level <level>', 'log level (logs are JSON on stderr)').choices(LOG_LEVELS).default(spec.logLevelDefault ?? 'info'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  samsa broker',
        '  samsa broker --port 19092 --data-dir /var/lib/samsa --admin-port 9644',
        '  samsa broker --config server.properties --override num.partitions=6',
        '  samsa broker --node-id 2 --metadata etcd://127.0.0.1:2379 --port 9093 --data-dir ./data-2',
        '',
        'Config keys are Kafka\'s (node.id, listeners, advertised.listeners, log.dirs, num.partitions,',
        'auto.create.topics.enable, log.retention.ms|hours|bytes, log.segment.bytes,',
        'log.flush.interval.messages|ms, message.max.bytes, socket.request.max.bytes, max.connections, ...);',
        'see packages/host/README.md. Exit codes: 0 clean stop, 1 failed to start or run, 2 bad flag or config.',
      ].join('\n'),
    )
    .action(spec.action);
}
