/**
 * The replication bench's load generator from Node: builds replication-producer.c (librdkafka,
 * a native client nobody here wrote) and runs it in its three modes — `burst` (throughput),
 * `rate` (fixed-rate latency from the intended send time) and `steady` (a long-running
 * producer whose delivery reports stream back, for failover). Imported by load.ts,
 * failover.ts and replication.ts.
 *
 * Bounds: burst and rate runs are killed after their timeout and keep at most
 * OUTPUT_CHARS_MAX of each output stream; a steady producer keeps at most DELIVERIES_MAX
 * delivery reports (the oldest go first) and `stop()` escalates from SIGTERM to SIGKILL
 * after STOP_TIMEOUT_MS. Every child is tracked in `running` so the
 * bench's signal handler can kill what is left.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@samsa/bench';

const STOP_TIMEOUT_MS = 15_000;
const DELIVERIES_MAX = 1_000_000;
const OUTPUT_CHARS_MAX = 8_000;

/** Producer processes still running, for the bench's Ctrl-C / SIGTERM handler. */
export const running = new Set<ChildProcess>();

export interface BurstResult {
  readonly records: number;
  readonly delivered: number;
  readonly failed: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerS: number;
  /** 10^6 bytes per second. */
  readonly mbPerS: number;
  readonly error: string;
}

export interface RateResult {
  readonly sent: number;
  readonly delivered: number;
  readonly failed: number;
  readonly measured: number;
  readonly producedRate: number;
  /** How far the producer's produce() calls fell behind their schedule at worst. */
  readonly sendLagMaxMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly error: string;
}

/** One delivery report of a steady producer: wall-clock ms (µs precision) and the outcome. */
export interface Delivery {
  readonly atMs: number;
  readonly ok: boolean;
  /** The offset (ok) or librdkafka's error name. */
  readonly detail: string;
}

/** Compiles the load generator into `dir`; returns the binary's path. */
export function buildProducer(dir: string): string {
  const binary = join(dir, 'replication-producer');
  const source = join(REPO_ROOT, 'bench/replication/replication-producer.c');
  try {
    execFileSync('cc', ['-O2', '-o', binary, source, '-l:librdkafka.so.1'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    throw new Error(`cannot build ${source} (needs cc and librdkafka1: apt-get install gcc librdkafka1): ${(error as Error).message}`);
  }
  return binary;
}

function properties(props: Readonly<Record<string, string>>): string[] {
  return Object.entries(props).map(([k, v]) => `${k}=${v}`);
}

/** Runs the producer to completion (SIGKILL past `timeoutMs`) and parses its one JSON line; throws on a non-zero exit. */
function runToJson<T>(binary: string, args: readonly string[], timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-OUTPUT_CHARS_MAX)));
    child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-OUTPUT_CHARS_MAX)));
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code !== 0 || timedOut) reject(new Error(`${what} failed (code ${code}, signal ${signal}${timedOut ? `, killed after ${timeoutMs} ms` : ''}):\n${out}${err}`));
      else resolve(JSON.parse(out.trim()) as T);
    });
  });
}

/** `records` (after `warmupRecords` untimed) as fast as librdkafka takes them, spread over `partitions`. */
export function burst(binary: string, bootstrap: string, topic: string, partitions: number, warmupRecords: number, records: number, recordBytes: number, props: Readonly<Record<string, string>>, timeoutMs: number): Promise<BurstResult> {
  const args = [bootstrap, topic, String(partitions), 'burst', String(warmupRecords), String(records), String(recordBytes), ...properties(props)];
  return runToJson<BurstResult>(binary, args, timeoutMs, `burst to ${topic}`);
}

/** `seconds` (after `warmupSeconds`) at `rate` records/s spread over `partitions`; latency from the intended send time. */
export function fixedRate(binary: string, bootstrap: string, topic: string, partitions: number, rate: number, seconds: number, warmupSeconds: number, recordBytes: number, props: Readonly<Record<string, string>>, timeoutMs: number): Promise<RateResult> {
  const args = [bootstrap, topic, String(partitions), 'rate', String(rate), String(seconds), String(warmupSeconds), String(recordBytes), ...properties(props)];
  return runToJson<RateResult>(binary, args, timeoutMs, `fixed rate ${rate}/s to ${topic}`);
}

export interface SteadyProducer {
  /** The first successful delivery report served after wall-clock `afterMs`, or null. */
  firstOkAfter(afterMs: number): Delivery | null;
  /** Failed delivery reports served in [fromMs, toMs], by error name. */
  errorsBetween(fromMs: number, toMs: number): Map<string, number>;
  /** The producer's stderr (bounded), for failure messages. */
  stderr(): string;
  get exited(): boolean;
  /** SIGTERM (it flushes, bounded), SIGKILL after STOP_TIMEOUT_MS; waits for the exit. */
  stop(): Promise<void>;
}

/** Starts a steady producer to one partition at `rate` records/s for at most `maxSeconds`. */
export function startSteady(binary: string, bootstrap: string, topic: string, partition: number, rate: number, maxSeconds: number, recordBytes: number, props: Readonly<Record<string, string>>): SteadyProducer {
  const args = [bootstrap, topic, String(partition), 'steady', String(rate), String(maxSeconds), String(recordBytes), ...properties(props)];
  const child = spawn(binary, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const deliveries: Delivery[] = [];
  let partial = '';
  let err = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      err += `spawn error: ${error.message}\n`;
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, us, detail] = line.split(' ');
      if ((kind !== 'ok' && kind !== 'err') || us === undefined) continue;
      deliveries.push({ atMs: Number(us) / 1000, ok: kind === 'ok', detail: detail ?? '' });
      if (deliveries.length > DELIVERIES_MAX) deliveries.splice(0, deliveries.length - DELIVERIES_MAX);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-OUTPUT_CHARS_MAX)));
  return {
    firstOkAfter(afterMs) {
      return deliveries.find((d) => d.ok && d.atMs > afterMs) ?? null;
    },
    errorsBetween(fromMs, toMs) {
      const counts = new Map<string, number>();
      for (const d of deliveries) if (!d.ok && d.atMs >= fromMs && d.atMs <= toMs) counts.set(d.detail, (counts.get(d.detail) ?? 0) + 1);
      return counts;
    },
    stderr: () => err,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
