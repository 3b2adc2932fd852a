/**
 * What `samsa broker` does once its flags are parsed: the host's runBroker (config, start,
 * connect line, signals) on Node. Loaded lazily by commands/broker-command.ts so other
 * commands never load the core.
 */
import { runBroker } from '@samsa/host';
import type { BrokerCommandOptions } from '@samsa/host';
import { nodeProcess } from './node-process.ts';
import { startBroker } from './start-broker.ts';

export async function runNodeBroker(o: BrokerCommandOptions): Promise<void> {
  await runBroker({ flags: o, process: nodeProcess, start: (options) => startBroker(options) });
}
