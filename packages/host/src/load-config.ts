/**
 * The broker's config from its flags, on any runtime: read the --config file through the
 * HostProcess, then brokerConfigFrom (broker-config.ts: precedence, defaults, the
 * open-file cap of max.connections, errors naming the key). A file that cannot be read is
 * a usage error (exit 2) saying why; the runtime may word it itself (Deno names the
 * missing --allow-read) by throwing a CliError.
 */
import { brokerConfigFrom } from './broker-config.ts';
import type { BrokerConfigFlags, LoadedBrokerConfig } from './broker-config.ts';
import { CliError, ExitCode } from './cli-error.ts';
import type { HostProcess } from './host-process.ts';

export async function loadBrokerConfig(flags: BrokerConfigFlags, proc: Pick<HostProcess, 'readTextFile' | 'resolvePath' | 'openFilesLimit'>): Promise<LoadedBrokerConfig> {
  let configText = '';
  if (flags.config !== undefined) {
    try {
      configText = await proc.readTextFile(flags.config);
    } catch (error) {
      if (error instanceof CliError) throw error;
      const why = (error as { code?: unknown }).code ?? (error as Error).message;
      throw new CliError(`cannot read --config ${flags.config}: ${String(why)}. Check the path.`, ExitCode.usage);
    }
  }
  return brokerConfigFrom(flags, configText, (p) => proc.resolvePath(p), proc.openFilesLimit());
}
