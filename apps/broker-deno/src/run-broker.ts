/**
 * What the Deno broker does once its flags are parsed: the host's runBroker (config, start,
 * connect line, signals, the launcher's lifeline with --exit-when-stdin-closes) on Deno,
 * plus Deno's own start-failure explanation: a missing permission names the `--allow-…`
 * flags that grant it (exit 2).
 */
import type { ServerConfig } from '@samsa/broker';
import { runBroker } from '@samsa/host';
import type { BrokerCommandOptions } from '@samsa/host';
import { CliError, ExitCode } from '@samsa/host/cli';
import { denoProcess } from './deno-process.ts';
import { brokerPermissions, permissionFlags } from './permissions.ts';
import { startDenoBroker } from './start-broker.ts';

function explainPermission(config: ServerConfig, adminPort: number | undefined) {
  return (e: unknown, text: string, printed: { readonly printed?: boolean }): CliError | null => {
    if (!(e instanceof Deno.errors.NotCapable) && !/NotCapable|Requires (read|write|net) access/i.test(text)) return null;
    const flags = permissionFlags(brokerPermissions(config, adminPort !== undefined ? { adminPort } : {}));
    return new CliError(`cannot start: Deno permission missing (${(e as Error).message}). Run with ${flags.join(' ')} (see apps/broker-deno/README.md).`, ExitCode.usage, printed);
  };
}

export async function runDenoBroker(o: BrokerCommandOptions & { readonly exitWhenStdinCloses?: boolean }): Promise<void> {
  await runBroker({ flags: o, process: denoProcess, start: (options) => startDenoBroker(options), explainRuntime: explainPermission });
}
