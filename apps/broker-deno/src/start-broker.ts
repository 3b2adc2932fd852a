/**
 * startDenoBroker: the runtime-free @samsa/broker core on Deno — Deno.open files and
 * Deno.listen sockets from @samsa/runtime/deno, with the Node app's body
 * (apps/broker-node/src/start-broker-on.ts: the same prom-client metrics and admin HTTP
 * port, imported by relative path: they only use prom-client and node:http, which Deno
 * runs).
 *
 *   const running = await startDenoBroker({ config: parseServerConfig({ overrides }) });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * Used by main.ts and by the in-process tests under test/deno.
 */
import { silentLogger } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import { denoRuntime } from '@samsa/runtime/deno';
import { installCrc32cAccelerator } from '../../broker-node/src/crc32c-accelerator.ts';
import { installGzipAccelerator } from '../../broker-node/src/gzip-accelerator.ts';
import { startBrokerOn } from '../../broker-node/src/start-broker-on.ts';
import type { RunningBroker } from '../../broker-node/src/start-broker-on.ts';

export interface StartDenoBrokerOptions {
  readonly config: ServerConfig;
  /** pino-compatible; silent when omitted. */
  readonly logger?: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Rebuild the topics from the partition dirs when samsa-metadata.json is missing. */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails (print the cause here). */
  readonly onStartFailure?: (error: unknown) => void;
}

/** What this process writes into each log dir's `.lock` (Deno.hostname needs --allow-sys=hostname, granted). */
function denoLockHolder(): string {
  let host = 'unknown';
  try {
    host = Deno.hostname();
  } catch {
    // not granted: the pid is what matters
  }
  return `pid=${Deno.pid} host=${host} runtime=deno started=${new Date().toISOString()}`;
}

export type RunningDenoBroker = RunningBroker;

/**
 * The Node app's native CRC-32C (@node-rs/crc32, a Node-API addon) works on Deno too, but
 * only with --allow-ffi, which lets native code outside the sandbox: so it is opt-in. With
 * ffi granted (plus --allow-sys=cpus for the addon's loader) it is installed as on Node;
 * otherwise the codec keeps its pure-JS CRC-32C.
 */
function maybeInstallNativeCrc32c(): { readonly implementation: 'native' | 'pure-js'; readonly reason?: string } {
  if (Deno.permissions.querySync({ name: 'ffi' }).state !== 'granted') return { implementation: 'pure-js', reason: 'no --allow-ffi' };
  return installCrc32cAccelerator();
}

export async function startDenoBroker(options: StartDenoBrokerOptions): Promise<RunningDenoBroker> {
  const runtime = denoRuntime();
  const crc = maybeInstallNativeCrc32c();
  const logger = options.logger ?? silentLogger;
  logger.debug({ crc32c: crc.implementation, ...(crc.reason !== undefined ? { reason: crc.reason } : {}) }, 'crc32c implementation');
  // Deno's node:zlib needs no permission: its gunzip is installed as on Node (self-checked).
  const gzip = installGzipAccelerator();
  if (gzip.implementation === 'native') logger.debug({ gzip: gzip.implementation }, 'gzip decompressor');
  else logger.warn({ gzip: gzip.implementation, reason: gzip.reason }, 'native gzip decompressor not installed: using pako');
  return startBrokerOn(runtime, { ...options, logger, lockHolder: denoLockHolder() });
}
