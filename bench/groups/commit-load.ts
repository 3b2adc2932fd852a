/**
 * The committing client of bench/groups/commits-vs-traffic.ts, run as its own process
 * (so its CPU is not the traffic client's event loop):
 *
 *   npx tsx bench/groups/commit-load.ts --port P --group G --topic T --partitions N \
 *       --rate 10000 --seconds 15 --in-flight 128
 *
 * One connection (`--connections N` spreads the requests round robin over N: a
 * diagnostic, since the broker handles a connection's OffsetCommit only after the
 * previous request on it was answered). FindCoordinator (creates `__consumer_offsets` on
 * first use), then single "simple" commits (generation -1, empty member id: Kafka's form
 * for a group with no members, which our coordinator accepts for an Empty or unknown
 * group) until one succeeds; then `ready` on stdout, and commands from stdin until it
 * closes: each `go [seconds]` is one timed run (default --seconds) answered by a line
 * `result <json>`.
 *
 * A run: OffsetCommit v8 requests paced at `rate`/s, each committing a new offset for one
 * partition (round robin over N partitions of T), at most `in-flight` awaiting a response;
 * a send held back by that limit is made up as soon as a slot frees, so a broker slower
 * than `rate` sees a closed loop of `in-flight` requests and the rate achieved is what it
 * sustains. The result: commits acknowledged with error 0, errors by code, latency
 * p50/p99/max (send → response), this process's CPU time.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ErrorCode, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '@samsa/codec';
import type { OffsetCommitRequest } from '@samsa/codec';
import { Samples } from './samples.ts';
import { WireClient } from './wire-client.ts';

const FIND_ATTEMPTS_MAX = 200;
const RETRY_DELAY_MS = 50;
const DRAIN_TIMEOUT_MS = 10_000;
const RUN_MS_MAX = 600_000;
const PACE_INTERVAL_MS = 1;
const OFFSET_COMMIT_VERSION = 8;
const FIND_COORDINATOR_VERSION = 3;

export interface CommitLoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly errors: Record<string, number>;
  readonly elapsedMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** This process's CPU time (user + system) over the timed run. */
  readonly cpuMs?: number;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    group: { type: 'string', default: 'bench-commits' },
    topic: { type: 'string' },
    partitions: { type: 'string', default: '4' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '128' },
    connections: { type: 'string', default: '1' },
  },
});
const port = Number(values.port);
const group = values.group!;
const topic = values.topic!;
const partitions = Number(values.partitions);
const rate = Number(values.rate);
const defaultDurationMs = Number(values.seconds) * 1000;
const inFlightMax = Number(values['in-flight']);
const connections = Number(values.connections);
if (!(connections >= 1 && connections <= 16)) throw new Error('--connections must be 1-16');
if (!Number.isInteger(port) || topic === undefined || !(rate > 0) || !(defaultDurationMs > 0) || !(inFlightMax >= 1) || !(partitions >= 1)) {
  throw new Error('usage: commit-load.ts --port P --topic T [--group G --partitions N --rate R --seconds S --in-flight M]');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let offset = 0;

function commitBody(partition: number): OffsetCommitRequest {
  return {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset++, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
  };
}

/** One commit; resolves its (first) partition error code. */
async function commitOnce(client: WireClient, partition: number): Promise<number> {
  const res = await client.request(8, OFFSET_COMMIT_VERSION, OffsetCommitRequestCodec, commitBody(partition), OffsetCommitResponseCodec);
  return res.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

async function prepare(client: WireClient): Promise<void> {
  let last = -1;
  for (let attempt = 0; attempt < FIND_ATTEMPTS_MAX; attempt++) {
    const found = await client.request(10, FIND_COORDINATOR_VERSION, FindCoordinatorRequestCodec, { key: group, keyType: 0, coordinatorKeys: [] }, FindCoordinatorResponseCodec);
    last = found.errorCode;
    if (last === ErrorCode.NONE) break;
    await sleep(RETRY_DELAY_MS);
  }
  if (last !== ErrorCode.NONE) throw new Error(`FindCoordinator kept failing with error ${last}`);
  for (let attempt = 0; attempt < FIND_ATTEMPTS_MAX; attempt++) {
    last = await commitOnce(client, 0);
    if (last === ErrorCode.NONE) return;
    await sleep(RETRY_DELAY_MS);
  }
  throw new Error(`OffsetCommit kept failing with error ${last}`);
}


async function run(clients: readonly WireClient[], durationMs: number): Promise<CommitLoadResult> {
  const latency = new Samples(Math.ceil((rate * durationMs) / 1000) + 1024);
  const errors: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  const startMs = performance.now();
  const cpu0 = process.cpuUsage();
  const send = (): void => {
    const sentAtMs = performance.now();
    sent++;
    commitOnce(clients[sent % clients.length]!, sent % partitions).then(
      (code) => {
        latency.add(performance.now() - sentAtMs);
        if (code === ErrorCode.NONE) ok++;
        else errors[String(code)] = (errors[String(code)] ?? 0) + 1;
      },
      (e: unknown) => {
        const key = e instanceof Error ? e.message : String(e);
        errors[key] = (errors[key] ?? 0) + 1;
      },
    );
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedMs = performance.now() - startMs;
      if (elapsedMs >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsedMs * rate) / 1000) - sent;
      // Never more than inFlightMax outstanding; sends held back by that are made up later.
      const n = Math.min(due, inFlightMax - inFlight(clients));
      for (let i = 0; i < n; i++) send();
    }, PACE_INTERVAL_MS);
  });
  const endMs = performance.now();
  const drainDeadline = endMs + DRAIN_TIMEOUT_MS;
  while (inFlight(clients) > 0 && performance.now() < drainDeadline) await sleep(5);
  const s = latency.summary();
  const cpu = process.cpuUsage(cpu0);
  return { sent, ok, errors, elapsedMs: endMs - startMs, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function inFlight(clients: readonly WireClient[]): number {
  let n = 0;
  for (const c of clients) n += c.inFlight;
  return n;
}

const clients: WireClient[] = [];
try {
  for (let i = 0; i < connections; i++) clients.push(await WireClient.connect('127.0.0.1', port, 'bench-commit-load', inFlightMax));
  for (const c of clients) await prepare(c);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [word, seconds] = line.trim().split(/\s+/);
    if (word !== 'go') throw new Error(`unexpected command ${line}`);
    const durationMs = seconds === undefined ? defaultDurationMs : Number(seconds) * 1000;
    if (!(durationMs > 0 && durationMs <= RUN_MS_MAX)) throw new Error(`bad duration ${seconds}`);
    const result = await run(clients, durationMs);
    process.stdout.write(`result ${JSON.stringify(result)}\n`);
  }
} finally {
  for (const c of clients) c.close();
}
