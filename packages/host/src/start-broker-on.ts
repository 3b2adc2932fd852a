/**
 * startBrokerOn: the runtime-free @samsa/broker core on a given Runtime (files, sockets,
 * clock), with the host's metrics, the runtime's native accelerators installed into the
 * codec, and the optional admin HTTP port (the admin handler served by the app's
 * `serveHttp`). The one body behind both apps: `startBroker` in apps/broker-node (Node:
 * nodeRuntime, its HTTP module) and `startDenoBroker` in apps/broker-deno (denoRuntime,
 * its built-in `serve`).
 *
 * Order (issue 11, defects 1 and 2): everything that can fail cheaply comes before any log
 * is opened, so a start that fails never touches a live broker's files:
 *   1. the lock of every log dir (DataDirLock; a second broker on the dir stops here and
 *      writes nothing),
 *   2. bind the Kafka listener (connections are held, not served) and the admin port
 *      (/healthz answers 503 until the broker is open),
 *   3. open the broker (metadata, logs, group coordinator), then serve.
 * A failure at any step calls `onStartFailure(error)` first (the app prints the cause),
 * then closes what was opened, then rejects with the same error. `shutdown` drains the
 * broker first (it releases the lock after closing its logs) and closes the admin port
 * last, so /healthz reports the drain.
 */
import { BoundListener, Broker, DataDirLock } from '@samsa/broker';
import type { Logger, ServerConfig } from '@samsa/broker';
import type { Runtime } from '@samsa/runtime';
import { installAccelerators } from './accelerators.ts';
import type { NativeAccelerators } from './accelerators.ts';
import { createAdminHandler } from './admin-handler.ts';
import type { HttpServer, ServeHttp } from './http-server.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';
import type { BrokerMetricsOptions } from './metrics/broker-metrics.ts';

export interface StartBrokerOnOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** Admin HTTP port (/metrics, /healthz); undefined = off, 0 = any free port. Needs `serveHttp`. */
  readonly adminPort?: number;
  /** The runtime's HTTP server for the admin handler. */
  readonly serveHttp?: ServeHttp;
  /** The runtime's native CRC-32C and gzip inflater, installed into the codec before the broker opens. */
  readonly accelerators?: NativeAccelerators;
  /** The app's process metrics, appended to /metrics. */
  readonly metrics?: BrokerMetricsOptions;
  /** Host for the admin port; defaults to the broker listener's host (127.0.0.1 if it binds all). */
  readonly adminHost?: string;
  /** Written into each log dir's `.lock` (who holds it, for a second broker's message): pid, host, start time. */
  readonly lockHolder?: string;
  /** Rebuild the topics from the partition dirs when the metadata (samsa-metadata.kv) is missing (--recover-metadata-from-logs). */
  readonly recoverMetadataFromLogs?: boolean;
  /** Called once, before anything opened is closed, when the start fails. */
  readonly onStartFailure?: (error: unknown) => void;
}

export interface RunningBroker {
  readonly broker: Broker;
  readonly metrics: BrokerMetrics;
  /** Bound host and port of the Kafka listener. */
  readonly host: string;
  readonly port: number;
  readonly admin: HttpServer | null;
  /** Idempotent. Stops the admin port last so /healthz reports the drain. */
  shutdown(): Promise<void>;
}

export async function startBrokerOn(runtime: Runtime, options: StartBrokerOnOptions): Promise<RunningBroker> {
  const { config, logger } = options;
  if (options.adminPort !== undefined && options.serveHttp === undefined) throw new TypeError('startBrokerOn: adminPort needs serveHttp (the runtime\'s HTTP server)');
  if (options.accelerators !== undefined) installAccelerators(options.accelerators, logger);
  const metrics = new BrokerMetrics(options.metrics);
  let healthy = false;
  let lock: DataDirLock | null = null;
  let bound: BoundListener | null = null;
  let admin: HttpServer | null = null;
  let broker: Broker | undefined;
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return;
    reported = true;
    options.onStartFailure?.(error);
  };
  try {
    lock = await DataDirLock.acquire(runtime.fs, config.logDirs, options.lockHolder ?? 'samsa broker');
    bound = await BoundListener.bind(runtime.transport, config);
    if (options.adminPort !== undefined) {
      const listenerHost = bound.host === '' || bound.host === '0.0.0.0' ? '127.0.0.1' : bound.host;
      const handler = createAdminHandler({ metrics, isHealthy: () => healthy, disk: () => broker?.metricsSnapshot().disk });
      admin = await options.serveHttp!({ host: options.adminHost ?? listenerHost, port: options.adminPort, handler });
    }
    broker = await Broker.open({
      config,
      fs: runtime.fs,
      clock: runtime.clock,
      random: runtime.random,
      logger,
      metrics,
      dataDirLock: lock,
      onOpenFailure: report,
      ...(options.recoverMetadataFromLogs === true ? { recoverMetadataFromLogs: true } : {}),
    });
  } catch (error) {
    report(error);
    await admin?.close().catch(() => {});
    await bound?.close().catch(() => {});
    await lock?.release();
    throw error;
  }
  const opened = broker;
  metrics.setSnapshotSource(() => opened.metricsSnapshot());
  const listener = opened.serve(bound);
  healthy = true;
  let shutdown: Promise<void> | null = null;
  return {
    broker: opened,
    metrics,
    host: listener.host,
    port: listener.port,
    admin,
    shutdown() {
      shutdown ??= (async () => {
        healthy = false;
        await opened.shutdown();
        await admin?.close();
      })();
      return shutdown;
    },
  };
}
