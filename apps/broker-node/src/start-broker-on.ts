/**
 * startBrokerOn: the runtime-free @samsa/broker core on a given Runtime (files, sockets,
 * clock), with prom-client metrics and the optional admin HTTP port. The one body behind
 * both apps: `startBroker` (Node: nodeRuntime, pino, the native CRC-32C) in
 * start-broker.ts and `startDenoBroker` (Deno: denoRuntime) in apps/broker-deno.
 *
 * Order: open the broker (its logs, metadata and group coordinator), listen, then start
 * the admin port; a failure at any step shuts down what was started. `shutdown` drains the
 * broker first and closes the admin port last, so /healthz reports the drain.
 */
import { Broker } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import type { Runtime } from '@samsa/runtime';
import { startAdminServer } from './admin-server.ts';
import type { AdminServer } from './admin-server.ts';
import { BrokerMetrics } from './metrics.ts';

export interface StartBrokerOnOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
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

export async function startBrokerOn(runtime: Runtime, options: StartBrokerOnOptions): Promise<RunningBroker> {
  const metrics = new BrokerMetrics();
  const broker = await Broker.open({ config: options.config, fs: runtime.fs, clock: runtime.clock, logger: options.logger, metrics });
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
      admin = await startAdminServer({ host: options.adminHost ?? listenerHost, port: options.adminPort, metrics, isHealthy: () => healthy, disk: () => broker.metricsSnapshot().disk });
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
