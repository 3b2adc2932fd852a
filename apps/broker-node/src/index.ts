// @samsa/broker-node: the `samsa` CLI and the broker on Node. `startBroker` runs the
// runtime-free core in-process through @samsa/host with node:fs/node:net, pino logs and
// the host's metrics; the shared pieces are @samsa/host's.
export { startBroker } from './start-broker.ts';
export type { RunningBroker, StartBrokerOptions } from './start-broker.ts';
export { BrokerMetrics, createAdminHandler, resolveBrokerFlags } from '@samsa/host';
export type { BrokerFlags, PartitionStat, ResolvedFlags, SnapshotSource } from '@samsa/host';
