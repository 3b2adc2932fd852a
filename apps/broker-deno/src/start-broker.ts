/**
 * startDenoBroker: the runtime-free @samsa/broker core on Deno — Deno.open files and
 * Deno.listen sockets from @samsa/runtime/deno, the same prom-client metrics and admin
 * HTTP port as the Node app (apps/broker-node/src/{metrics,admin-server}.ts, imported by
 * relative path: they only use prom-client and node:http, which Deno runs).
 *
 *   const running = await startDenoBroker({ config: parseServerConfig({ overrides }) });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * The Deno twin of apps/broker-node/src/start-broker.ts (which hard-wires nodeRuntime());
 * used by main.ts and by the in-process tests under test/deno.
 */
import { Broker, silentLogger } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import { denoRuntime } from '@samsa/runtime/deno';
import { startAdminServer } from '../../broker-node/src/admin-server.ts';
import type { AdminServer } from '../../broker-node/src/admin-server.ts';
import { installCrc32cAccelerator } from '../../broker-node/src/crc32c-accelerator.ts';
import { BrokerMetrics } from '../../broker-node/src/metrics.ts';

export interface StartDenoBrokerOptions {
  readonly config: ServerConfig;
  /** pino-compatible; silent when omitted. */
  readonly logger?: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
}

export interface RunningDenoBroker {
  readonly broker: Broker;
  readonly metrics: BrokerMetrics;
  /** Bound host and port of the Kafka listener. */
  readonly host: string;
  readonly port: number;
  readonly admin: AdminServer | null;
  /** Idempotent. Stops the admin port last so /healthz reports the drain. */
  shutdown(): Promise<void>;
}

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
  (options.logger ?? silentLogger).debug({ crc32c: crc.implementation, ...(crc.reason !== undefined ? { reason: crc.reason } : {}) }, 'crc32c implementation');
  const metrics = new BrokerMetrics();
  const broker = await Broker.open({
    config: options.config,
    fs: runtime.fs,
    clock: runtime.clock,
    logger: options.logger ?? silentLogger,
    metrics,
  });
  metrics.setSnapshotSource(() => broker.metricsSnapshot());
  let listener;
  try {
    listener = await broker.listen(runtime.transport);
  } catch (error) {
    await broker.shutdown().catch(() => {});
    throw error;
  }
  let healthy = true;
  let admin: AdminServer | null = null;
  if (options.adminPort !== undefined) {
    const listenerHost = listener.host === '' || listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host;
    try {
      admin = await startAdminServer({ host: options.adminHost ?? listenerHost, port: options.adminPort, metrics, isHealthy: () => healthy });
    } catch (error) {
      await broker.shutdown().catch(() => {});
      throw error;
    }
  }
  let shutdown: Promise<void> | null = null;
  return {
    broker,
    metrics,
    host: listener.host,
    port: listener.port,
    admin,
    shutdown() {
      shutdown ??= (async () => {
        healthy = false;
        await broker.shutdown();
        await admin?.close();
      })();
      return shutdown;
    },
  };
}
