/**
 * One chaos run of one scenario: a fault-injectable cluster (chaos-cluster.ts), an RF 3,
 * `min.insync.replicas=2` topic with unclean election off, the workloads (librdkafka
 * idempotent producers and a consumer group, and a KafkaJS producer + consumer), the
 * nemesis applying the scenario's fault for the run's time, then heal, a final read of every
 * partition, and the independent checker over the recorded histories.
 *
 * Output in `outDir`: one history file per workload (`*.jsonl`) and the nemesis's
 * (`nemesis.jsonl`), `final-read.json`, `report.json` (the checker's report) and
 * `campaign.json` (this run: scenario, seed, faults, timings, verdict).
 *
 * Every process started here (etcd, brokers, proxies, workloads) is stopped in a finally,
 * also when a step throws; each wait has a deadline.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClusterTopic } from '../cluster/cluster-process.ts';
import { startChaosCluster, type ChaosCluster, type ChaosNode } from './chaos-cluster.ts';
import { runChecker } from './checker/cli.ts';
import type { Report } from './checker/report.ts';
import { runNemesis } from './nemesis.ts';
import type { BrokerName, EtcdName, FaultTarget, NodeName, Scenario } from './scenarios.ts';
import { finalRead, startWorkload, type Workload } from './workloads/workload-process.ts';

export const TOPIC = 'chaos';
export const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 3000;
const HEALTHY_TIMEOUT_MS = 120_000;
/** After the faults: consumers keep polling this long so they reach the end before they stop. */
const DRAIN_MS = 8000;
/** Broker settings every scenario runs with (on top of the scenario's own). */
const SUITE_OVERRIDES = ['min.insync.replicas=2', 'default.replication.factor=3', 'unclean.leader.election.enable=false', 'offsets.topic.replication.factor=3'];

export interface CampaignOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  /** How long the nemesis runs (faults and heals). */
  readonly durationMs: number;
  readonly outDir: string;
  /** librdkafka producers and their total rate (records/s), consumers in the group. */
  readonly producers?: number;
  readonly rate?: number;
  readonly consumers?: number;
  /** Run the KafkaJS producer + consumer workload too (default true). */
  readonly kafkajs?: boolean;
  readonly log?: (line: string) => void;
}

export interface CampaignResult {
  readonly scenario: string;
  readonly seed: number;
  readonly faults: number;
  readonly wallMs: number;
  readonly safe: boolean;
  readonly summary: string;
  readonly report: Report;
  readonly outDir: string;
}

/** The scenario interface over the harness: b1..b3 are brokers 1..3, e1..e3 etcd members 1..3. */
function faultTarget(c: ChaosCluster, sessionTimeoutMs: number): FaultTarget {
  const broker = (name: BrokerName): number => Number(name.slice(1));
  const member = (name: EtcdName): number => Number(name.slice(1));
  const asBroker = (id: number | null): BrokerName | null => (id === null || id < 1 ? null : (`b${id}` as BrokerName));
  return {
    brokers: ['b1', 'b2', 'b3'],
    etcdMembers: ['e1', 'e2', 'e3'],
    topic: TOPIC,
    partitions: PARTITIONS,
    sessionTimeoutMs,
    leaderOf: async (p) => asBroker(await c.leaderOf(TOPIC, p)),
    controller: async () => asBroker(await c.controller()),
    etcdLeader: async () => {
      const m = await c.etcdLeader().catch(() => -1);
      return m < 1 ? null : (`e${m}` as EtcdName);
    },
    kill: (b) => c.kill(broker(b)),
    start: (b) => c.start(broker(b)),
    restart: (b) => c.restart(broker(b)),
    pause: (b) => c.pause(broker(b)),
    resume: (b) => c.resume(broker(b)),
    isolate: (n: NodeName) => c.isolate(n as ChaosNode),
    partition: (a, b) => c.partition(a as ChaosNode[], b as ChaosNode[]),
    cutFromEtcd: (b) => c.cutFromEtcd(broker(b)),
    heal: () => c.heal(),
    killEtcd: (e) => c.killEtcd(member(e)),
    startEtcd: (e) => c.startEtcd(member(e)),
    killAll: () => c.killAll(),
    startAll: () => c.startAll(),
  };
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const producers = o.producers ?? 2;
  const rate = o.rate ?? 200;
  const consumers = o.consumers ?? 2;
  const runSeconds = Math.ceil(o.durationMs / 1000) + 600;
  const workloads: Workload[] = [];
  const histories: string[] = [];
  let cluster: ChaosCluster | null = null;
  try {
    log(`${o.scenario.name}: starting 3 etcd members and brokers on ${o.scenario.runtimes.join('/')} (seed ${o.seed})`);
    cluster = await startChaosCluster({ brokers: o.scenario.runtimes, sessionTimeoutMs: SESSION_TIMEOUT_MS, overrides: [...SUITE_OVERRIDES, ...(o.scenario.overrides ?? [])], seed: o.seed });
    const c = cluster;
    await createClusterTopic(c.cluster, c.bootstrap(), TOPIC, PARTITIONS, 3);
    await c.waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    const start = (kind: 'py-producer' | 'py-consumer' | 'kafkajs', name: string, extra: { rate?: number; group?: string } = {}): void => {
      const historyPath = join(o.outDir, `${name}.jsonl`);
      histories.push(historyPath);
      workloads.push(startWorkload({ kind, bootstrap: c.bootstrap(), topic: TOPIC, partitions: PARTITIONS, rate: extra.rate ?? 1, seconds: runSeconds, name, historyPath, seed: o.seed + workloads.length, ...(extra.group ? { group: extra.group } : {}) }));
    };
    for (let i = 1; i <= producers; i++) start('py-producer', `py-producer-${i}`, { rate: Math.max(1, Math.round(rate / producers)) });
    for (let i = 1; i <= consumers; i++) start('py-consumer', `py-consumer-${i}`, { group: 'chaos-py' });
    if (o.kafkajs !== false) start('kafkajs', 'kafkajs-1', { rate: Math.max(1, Math.round(rate / 10)), group: 'chaos-kafkajs' });
    const nemesisPath = join(o.outDir, 'nemesis.jsonl');
    histories.push(nemesisPath);
    await writeFile(nemesisPath, '');
    log(`${o.scenario.name}: workloads running; nemesis for ${(o.durationMs / 1000).toFixed(0)} s`);
    const events = await runNemesis({ scenario: o.scenario, target: faultTarget(c, SESSION_TIMEOUT_MS), seed: o.seed, durationMs: o.durationMs, historyPath: nemesisPath, log });
    log(`${o.scenario.name}: ${events.length / 2} faults done; waiting for a healthy cluster`);
    await c.heal();
    await c.waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    // Producers stop first; consumers drain what was written, then stop.
    for (const w of workloads.filter((_, i) => i < producers)) await w.stop();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    for (const w of workloads) if (w.running()) await w.stop();
    const finalPath = join(o.outDir, 'final-read.json');
    await finalRead(c.bootstrap(), TOPIC, finalPath, { partitions: PARTITIONS });
    const reportPath = join(o.outDir, 'report.json');
    const { output } = await runChecker(['--final', finalPath, '--out', reportPath, ...histories]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    const result: CampaignResult = { scenario: o.scenario.name, seed: o.seed, faults: events.length / 2, wallMs: Date.now() - started, safe: report.safe, summary: output, report, outDir: o.outDir };
    await writeFile(join(o.outDir, 'campaign.json'), `${JSON.stringify({ ...result, report: undefined, faultsApplied: c.faults }, null, 2)}\n`);
    return result;
  } finally {
    await Promise.allSettled(workloads.map((w) => w.kill()));
    await cluster?.stop();
  }
}
