/**
 * One chaos run of one scenario: a fault-injectable cluster (chaos-cluster.ts), an RF 3,
 * `min.insync.replicas=2` topic with unclean election off, the workloads (librdkafka
 * idempotent producers and a consumer group, and a KafkaJS producer + consumer), the
 * nemesis applying the scenario's fault for the run's time, then heal, a final read of every
 * partition, and the independent checker over the recorded histories.
 *
 * Output in `outDir`: one history file per workload (`*.jsonl`) and the nemesis's
 * (`nemesis.jsonl`), each workload's stdout + stderr (`<name>.out`), each broker's log
 * (`broker-<id>.out`, the last 4 MiB), `final-read.json`,
 * `report.json` (the checker's report) and `campaign.json` (this run: scenario, seed,
 * faults, timings, verdict, how each workload ended). A workload that ends before it is
 * asked to stop (a crash, a hang ended by its hard timeout) is a `workloadProblems` entry:
 * the checker stays sound without it, but the run tested less than it claims.
 *
 * Every process started here (etcd, brokers, proxies, workloads) is stopped in a finally,
 * also when a step throws; each wait has a deadline.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PollAborted, pollUntil } from '@samsa/bench';
import { createClusterTopic } from '../cluster/cluster-process.ts';
import { startChaosCluster, type ChaosCluster, type ChaosNode } from './chaos-cluster.ts';
import { runChecker } from './checker/cli.ts';
import type { Report } from './checker/report.ts';
import { runNemesis } from './nemesis.ts';
import type { BrokerName, EtcdName, FaultTarget, NodeName, Scenario } from './scenarios.ts';
import { finalRead, startWorkload, type Workload, type WorkloadExit } from './workloads/workload-process.ts';

export const TOPIC = 'chaos';
export const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 3000;
const HEALTHY_TIMEOUT_MS = 120_000;
/** Longest wait for every workload's first acknowledged send / assignment before the faults. */
const WARMUP_TIMEOUT_MS = 90_000;
/** After the faults: consumers keep polling this long so they reach the end before they stop. */
const DRAIN_MS = 8000;
/** The brokers' --log-level: 'info' records elections, truncations and ISR changes in `broker-<id>.out` (SAMSA_CHAOS_LOG_LEVEL overrides). */
const BROKER_LOG_LEVEL = process.env['SAMSA_CHAOS_LOG_LEVEL'] ?? 'info';
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
  /** Each workload's name and exit (its output is kept in `<name>.out`). */
  readonly workloads: readonly WorkloadSummary[];
  /** Workloads that ended before they were asked to stop, or without their summary line. */
  readonly workloadProblems: readonly string[];
}

export interface WorkloadSummary {
  readonly name: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** Still running when the campaign asked it to stop. */
  readonly ranToStop: boolean;
  readonly report: unknown;
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

/** How long topic creation may keep meeting a controller that does not yet see 3 brokers. */
const CREATE_TOPIC_TIMEOUT_MS = 30_000;

/**
 * Creates the RF 3 topic. Every broker is registered in etcd when the cluster is up, but the
 * controller learns of the last registration through its watch a moment later, and until
 * then answers INVALID_REPLICATION_FACTOR (as Kafka's does); that answer is retried, bounded.
 */
function createTopicOnceBrokersKnown(c: ChaosCluster): Promise<void> {
  return pollUntil(`topic ${TOPIC} created with replication factor 3`, CREATE_TOPIC_TIMEOUT_MS, async () => {
    try {
      await createClusterTopic(c.cluster, c.bootstrap(), TOPIC, PARTITIONS, 3);
      return true;
    } catch (error) {
      const types = ((error as { errors?: { type?: string }[] }).errors ?? []).map((e) => e.type);
      if (types.includes('INVALID_REPLICATION_FACTOR')) return false;
      throw new PollAborted(`creating topic ${TOPIC}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const producers = o.producers ?? 2;
  const rate = o.rate ?? 200;
  const consumers = o.consumers ?? 2;
  const runSeconds = Math.ceil(o.durationMs / 1000) + 600;
  const workloads: Workload[] = [];
  const names: string[] = [];
  const kinds: WorkloadKind[] = [];
  const histories: string[] = [];
  let cluster: ChaosCluster | null = null;
  try {
    log(`${o.scenario.name}: starting 3 etcd members and brokers on ${o.scenario.runtimes.join('/')} (seed ${o.seed})`);
    cluster = await startChaosCluster({ brokers: o.scenario.runtimes, sessionTimeoutMs: SESSION_TIMEOUT_MS, overrides: [...SUITE_OVERRIDES, ...(o.scenario.overrides ?? [])], seed: o.seed, logLevel: BROKER_LOG_LEVEL });
    const c = cluster;
    await createTopicOnceBrokersKnown(c);
    await c.waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    const start = (kind: WorkloadKind, name: string, extra: { rate?: number; group?: string } = {}): void => {
      const historyPath = join(o.outDir, `${name}.jsonl`);
      histories.push(historyPath);
      names.push(name);
      kinds.push(kind);
      workloads.push(startWorkload({ kind, bootstrap: c.bootstrap(), topic: TOPIC, partitions: PARTITIONS, rate: extra.rate ?? 1, seconds: runSeconds, name, historyPath, seed: o.seed + workloads.length, ...(extra.group ? { group: extra.group } : {}) }));
    };
    for (let i = 1; i <= producers; i++) start('py-producer', `py-producer-${i}`, { rate: Math.max(1, Math.round(rate / producers)) });
    for (let i = 1; i <= consumers; i++) start('py-consumer', `py-consumer-${i}`, { group: 'chaos-py' });
    if (o.kafkajs !== false) start('kafkajs', 'kafkajs-1', { rate: Math.max(1, Math.round(rate / 10)), group: 'chaos-kafkajs' });
    // Faults start once every workload is at work (a send acknowledged, a partition
    // assigned): a group that never formed before the first fault would test nothing.
    const warmupMs = await waitForWarmup(workloads.map((w, i) => ({ workload: w, name: names[i]!, path: histories[i]!, needs: warmupMarkers(kinds[i]!) })), WARMUP_TIMEOUT_MS);
    log(`${o.scenario.name}: every workload at work after ${(warmupMs / 1000).toFixed(1)} s`);
    const nemesisPath = join(o.outDir, 'nemesis.jsonl');
    histories.push(nemesisPath);
    await writeFile(nemesisPath, '');
    log(`${o.scenario.name}: workloads running; nemesis for ${(o.durationMs / 1000).toFixed(0)} s`);
    const events = await runNemesis({ scenario: o.scenario, target: faultTarget(c, SESSION_TIMEOUT_MS), seed: o.seed, durationMs: o.durationMs, historyPath: nemesisPath, log });
    log(`${o.scenario.name}: ${events.length / 2} faults done; waiting for a healthy cluster`);
    await c.heal();
    await c.waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    // Producers stop first; consumers drain what was written, then stop.
    const ranToStop = workloads.map((w) => w.running());
    for (const w of workloads.filter((_, i) => i < producers)) await w.stop();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    for (let i = producers; i < workloads.length; i++) ranToStop[i] = ranToStop[i]! && workloads[i]!.running();
    for (const w of workloads) if (w.running()) await w.stop();
    const exits = await Promise.all(workloads.map((w) => w.exited));
    const summaries = await Promise.all(exits.map((exit, i) => keepWorkloadOutput(o.outDir, names[i]!, exit, ranToStop[i]!)));
    const workloadProblems = summaries.flatMap((w) =>
      !w.ranToStop ? [`${w.name} ended before the campaign stopped it (code ${w.code}, signal ${w.signal}; see ${w.name}.out)`] : w.report === undefined ? [`${w.name} left no summary line (code ${w.code}, signal ${w.signal}; see ${w.name}.out)`] : [],
    );
    for (const line of workloadProblems) log(line);
    const finalPath = join(o.outDir, 'final-read.json');
    await finalRead(c.bootstrap(), TOPIC, finalPath, { partitions: PARTITIONS });
    const reportPath = join(o.outDir, 'report.json');
    const { output } = await runChecker(['--final', finalPath, '--out', reportPath, ...histories]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    // librdkafka's answer to a broker's sequence-gap reply is an epoch bump that may append
    // unacknowledged messages twice: each one is shown (eos debug "ERRSEQ" lines).
    const sequenceGaps = exits.reduce((n, exit, i) => (kinds[i] === 'py-producer' ? n + countSequenceGaps(exit.output) : n), 0);
    const gapLine = `librdkafka sequence-gap answers (ERRSEQ, each an epoch bump): ${sequenceGaps}`;
    const summary = [output, gapLine, ...(workloadProblems.length === 0 ? [] : [`workload problems:\n${workloadProblems.map((p) => `  ${p}`).join('\n')}`])].join('\n');
    const result: CampaignResult = { scenario: o.scenario.name, seed: o.seed, faults: events.length / 2, wallMs: Date.now() - started, safe: report.safe, summary, report, outDir: o.outDir, workloads: summaries, workloadProblems };
    await writeFile(join(o.outDir, 'campaign.json'), `${JSON.stringify({ ...result, report: undefined, faultsApplied: c.faults }, null, 2)}\n`);
    return result;
  } finally {
    await Promise.allSettled(workloads.map((w) => w.kill()));
    // Each broker's log (bounded), for whoever reads an unsafe run's output dir.
    if (cluster !== null) await Promise.allSettled(cluster.cluster.brokers.map((b) => writeFile(join(o.outDir, `broker-${b.nodeId}.out`), b.output())));
    await cluster?.stop();
  }
}

type WorkloadKind = 'py-producer' | 'py-consumer' | 'kafkajs';

/** History substrings that show a workload at work. */
function warmupMarkers(kind: WorkloadKind): string[] {
  const sent = '"type":"ok","f":"send"';
  const assigned = '"f":"assign"';
  return kind === 'py-producer' ? [sent] : kind === 'py-consumer' ? [assigned] : [sent, assigned];
}

/** Polls the history files until each holds its markers; rejects naming the laggards after `timeoutMs` or when one exits. */
async function waitForWarmup(items: readonly { workload: Workload; name: string; path: string; needs: readonly string[] }[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const waiting = new Set(items);
  while (waiting.size > 0) {
    for (const item of [...waiting]) {
      const text = await readFile(item.path, 'utf8').catch(() => '');
      if (item.needs.every((marker) => text.includes(marker))) waiting.delete(item);
      else if (!item.workload.running()) throw new Error(`workload ${item.name} exited before it was at work: ${(await item.workload.exited).output.slice(-2000)}`);
    }
    if (waiting.size === 0) break;
    if (Date.now() - started > timeoutMs) throw new Error(`workloads not at work after ${timeoutMs} ms: ${[...waiting].map((w) => w.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return Date.now() - started;
}

/** librdkafka eos debug lines for a produce answered with a sequence gap (OUT_OF_ORDER_SEQUENCE_NUMBER). */
function countSequenceGaps(output: string): number {
  return output.split('\n').filter((line) => line.includes('|ERRSEQ|')).length;
}

/** Writes a workload's output to `<name>.out` and returns its exit in brief. */
async function keepWorkloadOutput(outDir: string, name: string, exit: WorkloadExit, ranToStop: boolean): Promise<WorkloadSummary> {
  await writeFile(join(outDir, `${name}.out`), exit.output);
  return { name, code: exit.code, signal: exit.signal, ranToStop, report: exit.report };
}
