// @samsa/bench: what the scenarios in the top-level bench/ folder share: measurement and
// reporting, and real brokers and clients as child processes. The conformance suites use
// the same process helpers (test/conformance/harness.ts re-exports them).
export { formatRate, measure, report } from './measure.ts';
export type { Measurement, MeasureOptions } from './measure.ts';
export { assertBuilt, CLI_PATH, DENO_BIN, DENO_MAIN, HOST, KCAT, REPO_ROOT } from './repo-paths.ts';
export { BoundedCapture, expectOk, kcat, rssKiB, run, sleep } from './child-process.ts';
export type { RunOptions, RunResult } from './child-process.ts';
export { apiVersionsFrame, connect, probeApiVersions, readFrame } from './kafka-wire.ts';
export { denoPermissions, freePort, startBroker, tempDir } from './broker-process.ts';
export type { BrokerProcess, BrokerRuntime, StartOptions } from './broker-process.ts';
export { createTopic } from './topics.ts';
export { batchOf, encodeRequest, produceBody } from './kafka-requests.ts';
export { etcdctl, startEtcd } from './etcd-process.ts';
export type { EtcdCluster, EtcdMember, EtcdOptions } from './etcd-process.ts';
export { etcdLeaderIndex, etcdPut, etcdRange, etcdReceivedByMethod, parseReceivedByMethod } from './etcd-read.ts';
export type { EtcdEntry, EtcdRange } from './etcd-read.ts';
export { fetchMetadata, findCoordinator, leadersOf } from './broker-metadata.ts';
export type { BrokerMetadata, MetadataPartition, MetadataTopic } from './broker-metadata.ts';
export { PollAborted, pollUntil, processGroupAlive, SESSION_TIMEOUT_MS_DEFAULT, startCluster } from './cluster-process.ts';
export type { BrokerSettings, Cluster, ClusterBroker, ClusterMetadataMode, ClusterOptions, ExitInfo } from './cluster-process.ts';
// The runtime's seeded Random, for harnesses that must replay a run from its seed (test/chaos).
export { createRandom } from '@samsa/runtime';
export type { Random } from '@samsa/runtime';
