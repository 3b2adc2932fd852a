// Logger and metrics hooks: see logger.ts and metrics.ts.
export { consoleLogger, levelEnabled, silentLogger } from './logger.ts';
export type { LogFields, Logger, LogLevel } from './logger.ts';
export type { ClientMetrics, ConnectionMetric, FetchedRecordsMetric, ProducedBatchMetric, RebalanceMetric, RequestMetric, RequestOutcome } from './metrics.ts';
export { Observer, SILENT_OBSERVER } from './observer.ts';
export type { ObservabilityOptions } from './observer.ts';
