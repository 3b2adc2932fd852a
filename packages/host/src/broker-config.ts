/**
 * brokerConfigFrom: `samsa broker` flags plus the `--config` file's text → ServerConfig,
 * with config errors turned into usage CliErrors (exit 2) that name the key and say how to
 * fix it. Runtime-free: each app reads the file its own way (Node: readFileSync; Deno:
 * Deno's text-file read, whose "not allowed" error names the permission flag) and passes its
 * path resolver; the precedence of flags is broker-flags.ts's.
 */
import { ConfigError, parseServerConfig } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';
import { resolveBrokerFlags } from './broker-flags.ts';
import { CliError, ExitCode } from './cli-error.ts';
import { clusterConfigFrom } from './cluster-config.ts';
import { maxConnectionsUnder } from './open-files-limit.ts';

/** The flags of `samsa broker` this needs (a subset of the command's options). */
export interface BrokerConfigFlags {
  readonly config?: string;
  readonly override?: readonly string[];
  readonly port?: number;
  readonly host?: string;
  readonly dataDir?: string;
  readonly nodeId?: number;
  readonly metadata?: string;
}

export interface LoadedBrokerConfig {
  readonly config: ServerConfig;
  /** The data directory as the user wrote it (for the connect line). */
  readonly dataDirShown: string;
}

/**
 * `openFilesMax`: the process's open-file limit when known; an unset max.connections then
 * defaults to at most half of it (open-files-limit.ts).
 */
export function brokerConfigFrom(o: BrokerConfigFlags, configText: string, resolvePath: (p: string) => string, openFilesMax?: number | null): LoadedBrokerConfig {
  try {
    const flags = resolveBrokerFlags(
      {
        configText,
        overrides: o.override ?? [],
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
        ...(o.nodeId !== undefined ? { nodeId: o.nodeId } : {}),
        ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
      },
      resolvePath,
    );
    let config = parseServerConfig({ text: configText, overrides: flags.overrides });
    if (openFilesMax != null && !config.explicitKeys.has('max.connections')) {
      const capped = maxConnectionsUnder(openFilesMax, config.maxConnections);
      if (capped < config.maxConnections) config = parseServerConfig({ text: configText, overrides: [...flags.overrides, `max.connections=${capped}`] });
    }
    clusterConfigFrom(config); // the cluster keys' combination, checked before anything starts
    return { config, dataDirShown: flags.dataDirShown };
  } catch (error) {
    if (error instanceof ConfigError) {
      const where = o.config !== undefined ? ` (from ${o.config} or --override)` : '';
      const hint =
        error.code === 'unknown-key'
          ? 'Remove it or fix its spelling; known keys are Kafka broker config names (see packages/host/README.md, "Broker configuration").'
          : 'Fix the value.';
      throw new CliError(`config error in "${error.key}"${where}: ${error.message}. ${hint}`, ExitCode.usage);
    }
    throw error;
  }
}
