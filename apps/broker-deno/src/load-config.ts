/**
 * `--config FILE` + `--override` + shortcuts → ServerConfig, on Deno.
 *
 * Flags to config is the Node app's runtime-free brokerConfigFrom
 * (apps/broker-node/src/broker-config.ts, imported as is). Only reading the file differs:
 * Deno.readTextFile, whose "not allowed" failure names the permission flag to add. Errors
 * are CliErrors (exit 2) worded as on Node.
 */
import { resolve } from 'node:path';
import { brokerConfigFrom } from '../../broker-node/src/broker-config.ts';
import type { LoadedBrokerConfig } from '../../broker-node/src/broker-config.ts';
import { CliError, ExitCode } from '../../broker-node/src/cli-error.ts';
import type { BrokerCommandOptions } from '../../broker-node/src/run-broker.ts';

export type LoadedConfig = LoadedBrokerConfig;

async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new CliError(`cannot read --config ${path}: not allowed. Add --allow-read=${path} to the deno run flags.`, ExitCode.usage);
    }
    const code = error instanceof Deno.errors.NotFound ? 'ENOENT' : (error as Error).message;
    throw new CliError(`cannot read --config ${path}: ${code}. Check the path.`, ExitCode.usage);
  }
}

export async function loadConfig(o: BrokerCommandOptions): Promise<LoadedConfig> {
  const configText = o.config !== undefined ? await readConfigText(o.config) : '';
  return brokerConfigFrom(o, configText, (p) => resolve(p));
}
