/**
 * `samsa broker`: runs a broker in the foreground until SIGINT/SIGTERM.
 *
 * Config comes from `--config server.properties` (Kafka's property names), then
 * `--override key=value` (repeatable), then the shortcuts (see broker-flags.ts). An
 * unknown key or a bad value exits 2 with a message naming the key. Once bound it prints
 * one line on stdout: `samsa broker listening on HOST:PORT (data: DIR)`.
 *
 * Shutdown: the first SIGINT/SIGTERM drains (finishes in-flight requests, flushes, writes
 * the clean-shutdown marker) and exits 0; a second signal exits at once with 130.
 */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../log-levels.ts';
import type { BrokerCommandOptions } from '../run-broker.ts';
import { collect, intFlag } from './parse-flags.ts';

export function brokerCommand(): Command {
  return new Command('broker')
    .description('run a Samsa broker in the foreground (Ctrl-C stops it cleanly)')
    .option('-c, --config <file>', 'server.properties-style file with Kafka broker config keys')
    .option('-o, --override <key=value>', 'set a config key, repeatable; wins over --config', collect)
    .option('-p, --port <port>', 'listener port (default 9092)', intFlag('--port', 0, 65535))
    .option('-H, --host <host>', 'listener host (default 127.0.0.1)')
    .option('-d, --data-dir <dir>', 'where partition logs live: log.dirs (default ./data)')
    .option('--node-id <id>', 'node.id of this broker (default 1)', intFlag('--node-id', 0, 2_147_483_647))
    .option('--admin-port <port>', 'serve /metrics and /healthz over HTTP on this port (default off)', intFlag('--admin-port', 0, 65535))
    .option('--recover-metadata-from-logs', 'if samsa-metadata.json is missing but partition dirs exist, rebuild the topics from the dirs (configs default) instead of refusing to start')
    .addOption(new Option('--log-level <level>', 'log level (logs are JSON on stderr)').choices(LOG_LEVELS).default(process.env['SAMSA_LOG_LEVEL'] ?? 'info'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  samsa broker',
        '  samsa broker --port 19092 --data-dir /var/lib/samsa --admin-port 9644',
        '  samsa broker --config server.properties --override num.partitions=6',
        '',
        'Config keys are Kafka\'s (node.id, listeners, advertised.listeners, log.dirs, num.partitions,',
        'auto.create.topics.enable, log.retention.ms|hours|bytes, log.segment.bytes,',
        'log.flush.interval.messages|ms, message.max.bytes, socket.request.max.bytes, max.connections, ...);',
        'see apps/broker-node/README.md. Exit codes: 0 clean stop, 1 failed to start or run, 2 bad flag or config.',
      ].join('\n'),
    )
    .action(async (o: BrokerCommandOptions) => {
      // Loaded on demand: the client commands never load the broker core.
      const { runBroker } = await import('../run-broker.ts');
      await runBroker(o);
    });
}

