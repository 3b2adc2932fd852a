/**
 * @samsa/host: the runtime-free host both broker apps share (apps/broker-node on Node,
 * apps/broker-deno on Deno). Each app is its runtime adapter plus this: config and flags,
 * start-up order and failure explanations, signals and the launcher's lifeline, the
 * logger, the metrics and the admin HTTP handler (Request → Response). See README.md.
 * `@samsa/host/cli` holds the command-line pieces alone (no broker core, no logger).
 */
export * from './cli.ts';
export { createAdminHandler } from './admin-handler.ts';
export type { AdminHandlerOptions } from './admin-handler.ts';
export { installAccelerators } from './accelerators.ts';
export type { AcceleratorOutcome, Implementation, InstalledAccelerators, LoadedAccelerator, NativeAccelerators } from './accelerators.ts';
export { brokerConfigFrom } from './broker-config.ts';
export type { BrokerConfigFlags, LoadedBrokerConfig } from './broker-config.ts';
export { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, parseMetadataFlag, resolveBrokerFlags } from './broker-flags.ts';
export type { BrokerFlags, ResolvedFlags } from './broker-flags.ts';
export { CLUSTER_ID_DEFAULT, clusterConfigFrom } from './cluster-config.ts';
export type { ClusterConfig } from './cluster-config.ts';
export { lockHolderLine } from './host-process.ts';
export type { HostLogger, HostProcess, HostSignal, StdinEnd } from './host-process.ts';
export type { HttpHandler, HttpServer, ServeHttp, ServeHttpOptions } from './http-server.ts';
export { loadBrokerConfig } from './load-config.ts';
export { readUntilEnd, STDIN_READS_MAX, WRITES_PER_LINE_MAX, writeLineSync } from './process-io.ts';
export { BrokerMetrics, PARTITION_SERIES_MAX, TOPIC_LABELS_MAX } from './metrics/broker-metrics.ts';
export type { BrokerMetricsOptions, PartitionStat, SnapshotSource } from './metrics/broker-metrics.ts';
export { memoryMetrics } from './metrics/memory-metrics.ts';
export type { MemoryUsage } from './metrics/memory-metrics.ts';
export { Counter, Gauge, Histogram, MetricRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics/prometheus-registry.ts';
export { maxConnectionsUnder, parseOpenFilesLimit } from './open-files-limit.ts';
export { runBroker } from './run-broker.ts';
export type { HostStartOptions, RunBrokerSpec } from './run-broker.ts';
export { startBrokerOn } from './start-broker-on.ts';
export type { RunningBroker, StartBrokerOnOptions } from './start-broker-on.ts';
export { explainStartFailure, startFailureReporter } from './start-failure.ts';
export type { ExplainOptions } from './start-failure.ts';
export { SECOND_SIGNAL_EXIT_CODE, stopOnSignals } from './stop-on-signals.ts';
export type { Stoppable } from './stop-on-signals.ts';
