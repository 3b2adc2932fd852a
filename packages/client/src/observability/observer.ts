/**
 * One object that carries the logger and the metrics hooks through the client, so each
 * component takes one parameter and never has to guard against a throwing hook.
 *
 * Invariant: no method of `Observer` throws. A hook that throws is logged at `warn` once per
 * hook name and then ignored.
 */
import type { LogFields, Logger, LogLevel } from './logger.ts';
import { silentLogger } from './logger.ts';
import type { ClientMetrics, ConnectionMetric, FetchedRecordsMetric, ProducedBatchMetric, RebalanceMetric, RequestMetric } from './metrics.ts';

export interface ObservabilityOptions {
  /** Default: silent. */
  readonly logger?: Logger;
  /** Default: none. */
  readonly metrics?: ClientMetrics;
}

export class Observer {
  readonly #logger: Logger;
  readonly #metrics: ClientMetrics;
  readonly #reported = new Set<string>();

  constructor(options: ObservabilityOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? {};
  }

  /** True when someone listens to request metrics (callers skip the timing work otherwise). */
  get measuresRequests(): boolean {
    return this.#metrics.onRequest !== undefined;
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    try {
      this.#logger.log(level, message, fields);
    } catch {
      // A logger that throws must not break the client; there is nowhere left to report it.
    }
  }

  request(metric: RequestMetric): void {
    this.#call('onRequest', metric);
  }

  connection(metric: ConnectionMetric): void {
    this.#call('onConnection', metric);
  }

  producedBatch(metric: ProducedBatchMetric): void {
    this.#call('onProducedBatch', metric);
  }

  fetchedRecords(metric: FetchedRecordsMetric): void {
    this.#call('onFetchedRecords', metric);
  }

  rebalance(metric: RebalanceMetric): void {
    this.#call('onRebalance', metric);
  }

  #call<K extends keyof ClientMetrics>(name: K, metric: Parameters<NonNullable<ClientMetrics[K]>>[0]): void {
    const hook = this.#metrics[name] as ((m: typeof metric) => void) | undefined;
    if (hook === undefined) return;
    try {
      hook.call(this.#metrics, metric);
    } catch (error) {
      if (this.#reported.has(name)) return;
      this.#reported.add(name);
      this.log('warn', `metrics hook ${name} threw; later errors from it are ignored`, { error });
    }
  }
}

/** The observer of a client with neither logger nor metrics. */
export const SILENT_OBSERVER = new Observer();
