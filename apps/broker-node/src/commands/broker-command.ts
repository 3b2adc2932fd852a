/**
 * `samsa broker`: runs a broker in the foreground until SIGINT/SIGTERM. The flags are the
 * host's (shared with the Deno broker, @samsa/host's broker-command.ts); this adds the
 * Node action, loaded on demand so the client commands never load the broker core.
 *
 * Once bound it prints one line on stdout: `samsa broker listening on HOST:PORT (data:
 * DIR)`. The first SIGINT/SIGTERM drains (finishes in-flight requests, flushes, writes the
 * clean-shutdown marker) and exits 0; a second signal exits at once with 130.
 */
import type { Command } from 'commander';
import { brokerCommand as hostBrokerCommand } from '@samsa/host/cli';

export function brokerCommand(): Command {
  return hostBrokerCommand({
    logLevelDefault: process.env['SAMSA_LOG_LEVEL'],
    action: async (o) => {
      const { runNodeBroker } = await import('../run-broker.ts');
      await runNodeBroker(o);
    },
  });
}
