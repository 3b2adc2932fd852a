/**
 * startDenoBroker: the runtime-free @samsa/broker core on Deno — the host's startBrokerOn
 * with Deno.open files and Deno.listen sockets (@samsa/runtime/deno), the admin handler on
 * Deno.serve, node:zlib's gzip inflater (Deno implements node:zlib without any permission)
 * and, only with --allow-ffi, the native CRC-32C (a Node-API addon runs outside Deno's
 * sandbox, so it is opt-in; otherwise the codec keeps its pure-JS CRC-32C).
 *
 *   const running = await startDenoBroker({ config: parseServerConfig({ overrides }) });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * Used by main.ts and by the in-process tests under test/deno.
 */
import { silentLogger } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import { lockHolderLine, memoryMetrics, startBrokerOn } from '@samsa/host';
import type { RunningBroker } from '@samsa/host';
import { denoRuntime } from '@samsa/runtime/deno';
import { loadNativeCrc32c, loadNativeGunzip } from '@samsa/runtime/node/accelerators';
import { denoProcess } from './deno-process.ts';
import { serveHttpDeno } from './serve-http.ts';

export interface StartDenoBrokerOptions {
  readonly config: ServerConfig;
  /** pino-compatible; silent when omitted. */
  readonly logger?: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Rebuild the topics from the partition dirs when the metadata (samsa-metadata.kv) is missing. */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails (print the cause here). */
  readonly onStartFailure?: (error: unknown) => void;
}

export type RunningDenoBroker = RunningBroker;

export async function startDenoBroker(options: StartDenoBrokerOptions): Promise<RunningDenoBroker> {
  const ffi = Deno.permissions.querySync({ name: 'ffi' }).state === 'granted';
  return startBrokerOn(denoRuntime(), {
    ...options,
    logger: options.logger ?? silentLogger,
    serveHttp: serveHttpDeno,
    accelerators: { crc32c: ffi ? loadNativeCrc32c() : { fn: null, reason: 'no --allow-ffi' }, gunzip: loadNativeGunzip() },
    metrics: { extraText: memoryMetrics(() => Deno.memoryUsage()) },
    lockHolder: lockHolderLine(denoProcess, Date.now()),
  });
}
