/**
 * The bench registry: every scenario under bench/ with its short, stable name, a one-line
 * description, the runtime that runs it and the workspace packages it needs built.
 * `npm run bench` lists it; `npm run bench -- <name> [args…]` runs one (bench/run.ts).
 *
 * Invariants (bench/test/scenarios.test.ts checks them against the files on disk):
 * - every .ts/.mjs file under bench/ (tests and node_modules aside) is exactly one of: a
 *   scenario below, a support file below (with why it is not a scenario), or the runner;
 * - names are unique, kebab-case, and never change once published (scripts and notes cite
 *   them); a file may move, its name stays;
 * - `builds` names workspace packages; the runner builds each with its dependencies
 *   (`turbo run build --filter=<pkg>...`), so a scenario never runs against a stale dist/.
 */

export type BenchRuntime = 'node' | 'deno';

export interface Scenario {
  /** Short, stable, kebab-case: `npm run bench -- <name>`. */
  readonly name: string;
  /** Relative to bench/. */
  readonly file: string;
  /** One line, shown by `npm run bench`. */
  readonly description: string;
  readonly runtime: BenchRuntime;
  /** Workspace packages built (with their dependencies) before the run. */
  readonly builds: readonly string[];
}

const CODEC = ['@samsa/bench', '@samsa/codec'];
const LOG = ['@samsa/bench', '@samsa/log'];
/** The broker scenarios spawn the built Node broker (apps/broker-node/dist/cli.js). */
const BROKER = ['@samsa/bench', '@samsa/broker-node'];

export const SCENARIOS: readonly Scenario[] = [
  { name: 'codec-record-batch', file: 'codec/record-batch.ts', runtime: 'node', builds: CODEC, description: 'record batch v2 build / validate / iterate on 16 KiB batches of 100 B records, vs a memory copy' },
  { name: 'codec-kafka-records', file: 'codec/kafka-records.ts', runtime: 'node', builds: CODEC, description: 'ProduceRequest decode and FetchResponse encode carrying 1 MiB of batches, vs a memory copy' },
  { name: 'codec-compression', file: 'codec/compression.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/broker-node'], description: 'compress / decompress per Kafka codec on 16 KiB and 1 MiB payloads (--native-gzip adds node:zlib), vs a copy' },
  { name: 'codec-crc32c', file: 'codec/crc32c.ts', runtime: 'node', builds: CODEC, description: 'CRC-32C pure JS vs @node-rs/crc32 native, on 16 KiB and 1 MiB, vs a memory copy' },
  { name: 'codec-rpc', file: 'codec/rpc.ts', runtime: 'node', builds: CODEC, description: 'msgpackr RPC frame encode/decode with a 16 KiB attachment, whole and split, vs copying the attachment' },
  { name: 'log-append', file: 'log/append.ts', runtime: 'node', builds: LOG, description: '@samsa/log append, without fsync and with group-committed fsync, vs plain file writes' },
  { name: 'log-append-compressed', file: 'log/append-compressed.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/log', '@samsa/broker-node'], description: '@samsa/log append per compression codec (--native-gzip adds node:zlib), vs plain file writes' },
  { name: 'log-read', file: 'log/read.ts', runtime: 'node', builds: LOG, description: '@samsa/log sequential read from the page cache (READ_BENCH_MB, default 512), vs positional file reads' },
  { name: 'log-record-api', file: 'log/record-api.ts', runtime: 'node', builds: LOG, description: '@samsa/log record API (openRecordLog) appends per durability and stream reads, vs the batch-level API, plain file writes and SQLite WAL (node:sqlite on Node 22)' },
  { name: 'restart', file: 'log/restart.ts', runtime: 'node', builds: LOG, description: 'LogManager clean and crash restart of 1,000 partitions (RESTART_BENCH_MB, default 1024), vs readdir + stat' },
  { name: 'coordinator-commit-rate', file: 'coordinator/group-commit-rate.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/coordinator'], description: 'offset commits through the pure GroupCoordinator, alone and beside 2,000 groups, vs encoding the record' },
  { name: 'local-metadata', file: 'metadata/local-metadata.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/broker'], description: 'the local metadata store with 1,000 topics × 10 partitions: CreateTopics and producer-id save latency, open time, file sizes; journal vs a snapshot per write (format 1) and an append + fsync' },
  { name: 'node-adapters', file: 'runtime/node-adapters.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/runtime'], description: 'what the @samsa/runtime/node file and socket adapters cost over raw Node APIs' },
  { name: 'deno-positional-io', file: 'runtime/deno-positional-io.ts', runtime: 'deno', builds: ['@samsa/bench'], description: 'the @samsa/runtime/deno file adapter with and without its position cache, vs raw Deno.FsFile (runs on Deno)' },
  { name: 'broker-throughput', file: 'broker/broker-throughput.ts', runtime: 'node', builds: BROKER, description: 'Node broker produce/consume throughput and latency with kcat, vs redis-server XADD' },
  { name: 'deno-vs-node', file: 'broker/deno-vs-node.ts', runtime: 'node', builds: BROKER, description: 'the same kcat load on the Deno broker and on the Node broker, same run' },
  { name: 'tail-latency', file: 'broker/tail-latency.ts', runtime: 'node', builds: BROKER, description: 'per-message produce latency p50/p99/p99.9 from librdkafka (a C producer built here) at fixed rates, Deno broker vs Node broker, same run' },
  { name: 'hostile-latency', file: 'broker/hostile-latency.ts', runtime: 'node', builds: BROKER, description: "an honest client's latency before, during and after a burst of hostile connections" },
  { name: 'memory-bound', file: 'broker/memory-bound.ts', runtime: 'node', builds: BROKER, description: 'broker memory under 40 connections each sending a ~100 MB Produce frame (OVERRIDES=… to vary)' },
  { name: 'shutdown-restart', file: 'broker/shutdown-restart.ts', runtime: 'node', builds: BROKER, description: 'clean shutdown and restart of a Node broker at 1,000 / 5,000 / 20,000 partitions, vs fsync and list+stat' },
  { name: 'commits-vs-traffic', file: 'groups/commits-vs-traffic.ts', runtime: 'node', builds: BROKER, description: '10,000 offset commits/s from one client beside steady produce + fetch on one broker, vs no commits' },
  { name: 'cluster-failover', file: 'cluster/failover.ts', runtime: 'node', builds: BROKER, description: '3 brokers + etcd: SIGKILL a partition leader 20 times, death → new leaders visible on every survivor, p50/p99 vs the session timeout' },
  { name: 'cluster-create', file: 'cluster/create.ts', runtime: 'node', builds: BROKER, description: 'a 1,000-partition topic on 3 brokers + etcd until every broker shows all leaders, vs the same on one single-node broker' },
  { name: 'cluster-idle-etcd', file: 'cluster/idle-etcd.ts', runtime: 'node', builds: BROKER, description: "an idle 3-broker cluster's etcd requests/s by gRPC method for 30 s (expected: keepalives only), vs etcd alone" },
  { name: 'replica-fetch-wire', file: 'replication/replica-fetch-wire.ts', runtime: 'node', builds: ['@samsa/bench', '@samsa/broker'], description: 'replica fetch over msgpackr frames on loopback TCP, 1 MiB of batches per response, vs raw node:net request/reply' },
  { name: 'replication', file: 'replication/replication.ts', runtime: 'node', builds: BROKER, description: '3 brokers RF 3 acks=all (min.insync.replicas=2) vs 1 broker acks=1: throughput, latency at half the peak, leader-kill failover vs the session timeout' },
  { name: 'replication-floor', file: 'replication/raw-floor.ts', runtime: 'node', builds: [], description: "this machine's floor for replication: raw Node processes that only store and forward bytes (no framing, CRC, indexes or fetches), RF 3 acks=all vs RF 1 — the ratio no broker design doing that work could beat here" },
  { name: 'client-producer', file: 'client/producer-throughput.ts', runtime: 'node', builds: [...BROKER, '@samsa/client'], description: '@samsa/client producer vs KafkaJS 2.2.4, @platformatic/kafka and kcat, one producer at a time on one broker: 100 B / 1 KiB, acks=1 / all, records/s, client CPU per million records, one-record latency' },
  { name: 'client-producer-batch-size', file: 'client/batch-size.ts', runtime: 'node', builds: [...BROKER, '@samsa/client'], description: "@samsa/client producer batchSizeBytes 16 KiB / 64 KiB / 256 KiB / 1 MiB: records/s, CPU per million, one send's p50/p99 and one-record latency (how the default was chosen)" },
  { name: 'client-consumer', file: 'client/consumer-throughput.ts', runtime: 'node', builds: [...BROKER, '@samsa/client'], description: '@samsa/client consumer (assign-only and group) vs KafkaJS 2.2.4, @platformatic/kafka and kcat -C reading 1M × 100 B and 200k × 1 KiB from offset 0 on one broker: records/s, client CPU per million records' },
  { name: 'profile-summary', file: 'broker/profile-summary.ts', runtime: 'node', builds: [], description: 'tool, not a measurement: top functions by self time of a .cpuprofile (args: <file> [top])' },
];

/** Files under bench/ that are not scenarios, each with what uses it. */
export const SUPPORT_FILES: Readonly<Record<string, string>> = {
  'scenarios.ts': 'this registry',
  'run.ts': 'the runner behind `npm run bench`',
  'codec/cpu-time.ts': 'measureCpu, imported by the codec and log benches',
  'codec/native-gzip.ts': '--native-gzip, imported by codec-compression and log-append-compressed',
  'log/batches.ts': 'record batch inputs, imported by the log benches',
  'groups/commit-load.ts': 'the committing client process that commits-vs-traffic spawns',
  'groups/traffic.ts': 'produce + fetch traffic, imported by commits-vs-traffic',
  'groups/samples.ts': 'latency samples, imported by the group benches',
  'groups/wire-client.ts': 'a pipelined Kafka connection, imported by the group benches',
  'cluster/visible-everywhere.ts': 'waiting for a Metadata condition on every broker, and percentiles, imported by the cluster benches',
  'replication/producer.ts': 'the librdkafka load generator (replication-producer.c) from Node, imported by replication',
  'replication/targets.ts': 'topics, full-ISR waits and server CPU time, imported by replication',
  'replication/load.ts': 'the throughput and latency rounds, imported by replication',
  'replication/failover.ts': 'the leader-kill rounds, imported by replication',
  'client/produce-load.ts': 'the producer process (samsa, KafkaJS or @platformatic/kafka) that client-producer and client-producer-batch-size spawn',
  'client/consume-load.ts': 'the consumer process (samsa assign-only or group, KafkaJS or @platformatic/kafka) that client-consumer spawns',
  'client/platformatic.ts': '@platformatic/kafka and Node 22 installed outside the workspace, imported by client-producer and client-consumer',
  'machine.ts': 'load average, idle CPU, a bounded wait for a quiet moment and per-process CPU time from /proc, imported by the replication and tail-latency benches',
  'groups/cpu-profile-preload.mjs': 'a --import preload that commits-vs-traffic puts in NODE_OPTIONS',
};

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** One line per scenario: name, then description, aligned. */
export function formatScenarioList(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`).join('\n');
}
