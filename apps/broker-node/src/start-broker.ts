/**
 * startBroker: the runtime-free @samsa/broker core on Node — node:fs and node:net from
 * @samsa/runtime/node, pino logs, the native CRC-32C, prom-client metrics and the optional
 * admin HTTP port (the body is start-broker-on.ts, shared with the Deno app).
 *
 *   const running = await startBroker({ config: parseServerConfig({ overrides }), logger });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * Used by `samsa broker` and by anything that wants an in-process broker (tests, benches).
 */
import { hostname } from 'node:os';
import type { ServerConfig } from '@samsa/broker';
import { nodeRuntime } from '@samsa/runtime/node';
import type { Logger as PinoLogger } from 'pino';
import { installCrc32cAccelerator } from './crc32c-accelerator.ts';
import { installGzipAccelerator } from './gzip-accelerator.ts';
import { startBrokerOn } from './start-broker-on.ts';
import type { RunningBroker } from './start-broker-on.ts';

export type { RunningBroker } from './start-broker-on.ts';

export interface StartBrokerOptions {
  readonly config: ServerConfig;
  readonly logger: PinoLogger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Rebuild the topics from the partition dirs when samsa-metadata.json is missing. */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails (print the cause here). */
  readonly onStartFailure?: (error: unknown) => void;
}

/** What this process writes into each log dir's `.lock`: a second broker names it. */
export function nodeLockHolder(): string {
  return `pid=${process.pid} host=${hostname()} runtime=node started=${new Date().toISOString()}`;
}

export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const crc = installCrc32cAccelerator();
  options.logger.debug({ crc32c: crc.implementation, reason: crc.reason }, 'crc32c implementation');
  const gzip = installGzipAccelerator();
  if (gzip.implementation === 'native') options.logger.debug({ gzip: gzip.implementation }, 'gzip decompressor');
  else options.logger.warn({ gzip: gzip.implementation, reason: gzip.reason }, 'native gzip decompressor not installed: using pako');
  return startBrokerOn(nodeRuntime(), { ...options, lockHolder: nodeLockHolder() });
}
