// @samsa/broker-node: the `samsa` CLI and the broker on Node. `startBroker` runs the
// runtime-free core in-process with node:fs/node:net, pino logs and prom-client metrics.
export { startBroker } from './start-broker.ts';
export type { RunningBroker, StartBrokerOptions } from './start-broker.ts';
export { BrokerMetrics } from './metrics.ts';
export type { PartitionStat, SnapshotSource } from './metrics.ts';
export { startAdminServer } from './admin-server.ts';
export type { AdminServer, AdminServerOptions } from './admin-server.ts';
export { resolveBrokerFlags } from './broker-flags.ts';
export type { BrokerFlags, ResolvedFlags } from './broker-flags.ts';
export { createLogger } from './logger.ts';
export { installGzipAccelerator } from './gzip-accelerator.ts';
