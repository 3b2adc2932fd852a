/**
 * startBroker: the runtime-free @samsa/broker core on Node — node:fs and node:net from
 * @samsa/runtime/node, pino logs, prom-client metrics and the optional admin HTTP port.
 *
 *   const running = await startBroker({ config: parseServerConfig({ overrides }), logger });
 *   console.log(running.host, running.port);
 *   await running.shutdown();   // finish in-flight requests, flush, clean-shutdown marker
 *
 * Used by `samsa broker` and by anything that wants an in-process broker (tests, benches).
 */
import { Broker } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';
import { nodeRuntime } from '@samsa/runtime/node';
import type { Logger as PinoLogger } from 'pino';
import { startAdminServer } from './admin-server.ts';
import { installCrc32cAccelerator } from './crc32c-accelerator.ts';
import type { AdminServer } from './admin-server.ts';
import { BrokerMetrics } from './metrics.ts';

export interface StartBrokerOptions {
  readonly config: ServerConfig;
  readonly logger: PinoLogger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. */
  readonly adminPort?: number;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
}

export interface RunningBroker {
  readonly broker: Broker;
  readonly metrics: BrokerMetrics;
  /** Bound host and port of the Kafka listener. */
  readonly host: string;
  readonly port: number;
  readonly admin: AdminServer | null;
  /** Idempotent. Stops the admin port last so /healthz reports the drain. */
  shutdown(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const crc = installCrc32cAccelerator();
  options.logger.debug({ crc32c: crc.implementation, reason: crc.reason }, 'crc32c implementation');
  const runtime = nodeRuntime();
  const metrics = new BrokerMetrics();
  const broker = await Broker.open({
    config: options.config,
    fs: runtime.fs,
    clock: runtime.clock,
    logger: options.logger,
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
