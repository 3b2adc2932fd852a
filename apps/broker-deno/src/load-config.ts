/**
 * `--config FILE` + `--override` + shortcuts → ServerConfig, on Deno.
 *
 * The flag precedence and defaults are the Node app's (apps/broker-node/src/broker-flags.ts,
 * runtime-free, imported as is); the parsing is the core's parseServerConfig. Only reading
 * the file differs: Deno.readTextFile, whose "not allowed" failure names the permission
 * flag to add. Errors are CliErrors (exit 2) worded as on Node.
 */
import { resolve } from 'node:path';
import { ConfigError, parseServerConfig } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';
import { resolveBrokerFlags } from '../../broker-node/src/broker-flags.ts';
import { CliError, ExitCode } from '../../broker-node/src/cli-error.ts';
import type { BrokerCommandOptions } from '../../broker-node/src/run-broker.ts';

export interface LoadedConfig {
  readonly config: ServerConfig;
  /** The data directory as the user wrote it (for the connect line). */
  readonly dataDirShown: string;
}

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
  try {
    const flags = resolveBrokerFlags(
      {
        configText,
        overrides: o.override ?? [],
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
        ...(o.nodeId !== undefined ? { nodeId: o.nodeId } : {}),
      },
      (p) => resolve(p),
    );
    return { config: parseServerConfig({ text: configText, overrides: flags.overrides }), dataDirShown: flags.dataDirShown };
  } catch (error) {
    if (error instanceof ConfigError) {
      const where = o.config !== undefined ? ` (from ${o.config} or --override)` : '';
      const hint =
        error.code === 'unknown-key'
          ? 'Remove it or fix its spelling; known keys are Kafka broker config names (see apps/broker-node/README.md).'
          : 'Fix the value.';
      throw new CliError(`config error in "${error.key}"${where}: ${error.message}. ${hint}`, ExitCode.usage);
    }
    throw error;
  }
}
