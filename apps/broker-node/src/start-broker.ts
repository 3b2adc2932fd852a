/**
 * startBroker: the runtime-free @samsa/broker core on Node — the host's startBrokerOn
 * with node:fs and node:net (@samsa/runtime/node), the native CRC-32C and gzip inflater
 * (@samsa/runtime/node/accelerators), the admin handler on node:http
 * (@samsa/runtime/node/http), pino logs and Node's process metrics.
 *
 *   const running = await startBroker({ config: parseServerConfig({ overrides }), logger });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * Used by `samsa broker` and by anything that wants an in-process broker (tests, benches).
 */
import type { Logger, ServerConfig } from '@samsa/broker';
import { lockHolderLine, startBrokerOn } from '@samsa/host';
import type { RunningBroker } from '@samsa/host';
import { nodeRuntime } from '@samsa/runtime/node';
import { loadNativeCrc32c, loadNativeGunzip } from '@samsa/runtime/node/accelerators';
import { serveHttp } from '@samsa/runtime/node/http';
import { nodeProcess } from './node-process.ts';
import { nodeProcessMetrics } from './process-metrics.ts';

export type { RunningBroker } from '@samsa/host';

export interface StartBrokerOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Rebuild the topics from the partition dirs when the metadata (samsa-metadata.kv) is missing. */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails (print the cause here). */
  readonly onStartFailure?: (error: unknown) => void;
}

export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  return startBrokerOn(nodeRuntime(), {
    ...options,
    serveHttp,
    accelerators: { crc32c: loadNativeCrc32c(), gunzip: loadNativeGunzip() },
    metrics: { extraText: nodeProcessMetrics() },
    lockHolder: lockHolderLine(nodeProcess, Date.now()),
  });
}
