/**
 * Starts the fault suite's workloads (issue 15) as child processes, so a harness can start
 * and stop them: the librdkafka producer and consumer (producer.py, consumer.py through the
 * Debian python3, the only one with confluent_kafka), the KafkaJS workload
 * (kafkajs-workload.ts through `node --import tsx`), and the final read (final-read.py).
 *
 * Process hygiene: each child runs in its own process group (detached); `stop()` sends
 * SIGTERM to the group (the workload flushes and logs its open operations), then SIGKILL
 * after `stopTimeoutMs`; `kill()` SIGKILLs the group at once. Both are safe after exit and
 * twice. A child is SIGKILLed anyway `seconds + HARD_GRACE_MS` after its start, and every
 * child still running is SIGKILLed when this (test) process exits. Call stop/kill in
 * afterEach/finally.
 *
 * Bounds: stdout/stderr are kept bounded (BoundedCapture); the workload's summary is its
 * last stdout line (`{"t":"report",...}`), parsed into `exit.report`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { BoundedCapture, REPO_ROOT } from '@samsa/bench';

export type WorkloadKind = 'py-producer' | 'py-consumer' | 'kafkajs';

/** The Debian python3: the only one with confluent_kafka importable. */
export const PYTHON = '/usr/bin/python3';
const WORKLOADS_DIR = new URL('.', import.meta.url).pathname;
const HARD_GRACE_MS = 60_000;
const STOP_TIMEOUT_MS_DEFAULT = 30_000;
const FINAL_READ_TIMEOUT_MS_DEFAULT = 60_000;

export interface WorkloadOptions {
  readonly kind: WorkloadKind;
  /** Comma-separated host:port list. */
  readonly bootstrap: string;
  readonly topic: string;
  /** Partitions to write (producers). */
  readonly partitions: number;
  /** Records a second over all partitions (producers). */
  readonly rate: number;
  /** Run length bound; the workload stops by itself after it. */
  readonly seconds: number;
  /** The history's `process` name (the KafkaJS workload writes `<name>-producer` and `<name>-consumer`). */
  readonly name: string;
  readonly historyPath: string;
  readonly seed: number;
  /** Consumer group (py-consumer, kafkajs); default `samsa-chaos-<name>`. */
  readonly group?: string;
  /** A file whose existence asks the workload to stop. */
  readonly stopFile?: string;
  /** SIGTERM-to-SIGKILL bound of stop(). */
  readonly stopTimeoutMs?: number;
  /** The librdkafka producer's message.timeout.ms (default 30000). */
  readonly messageTimeoutMs?: number;
  /** KafkaJS only: run just one side. */
  readonly producer?: boolean;
  readonly consumer?: boolean;
}

export interface WorkloadExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The parsed last stdout line if it was the workload's summary, else undefined. */
  readonly report: unknown;
  /** stdout + stderr (bounded), for failure messages. */
  readonly output: string;
}

export interface Workload {
  readonly pid: number;
  readonly exited: Promise<WorkloadExit>;
  /** SIGTERM the group, wait (SIGKILL after stopTimeoutMs). */
  stop(): Promise<WorkloadExit>;
  /** SIGKILL the group, wait. */
  kill(): Promise<WorkloadExit>;
  running(): boolean;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) signalGroup(child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function commandOf(o: WorkloadOptions): [string, string[]] {
  const stopFile = o.stopFile !== undefined ? ['--stop-file', o.stopFile] : [];
  const group = o.group ?? `samsa-chaos-${o.name}`;
  switch (o.kind) {
    case 'py-producer':
      return [PYTHON, ['-u', `${WORKLOADS_DIR}producer.py`, o.bootstrap, o.topic, String(o.partitions), String(o.rate), String(o.seconds), o.name, o.historyPath, String(o.seed), ...stopFile,
        ...(o.messageTimeoutMs !== undefined ? ['--message-timeout-ms', String(o.messageTimeoutMs)] : [])]];
    case 'py-consumer':
      return [PYTHON, ['-u', `${WORKLOADS_DIR}consumer.py`, o.bootstrap, o.topic, group, String(o.seconds), o.name, o.historyPath, ...stopFile]];
    case 'kafkajs':
      return [process.execPath, ['--import', 'tsx', `${WORKLOADS_DIR}kafkajs-workload.ts`, '--bootstrap', o.bootstrap, '--topic', o.topic, '--partitions', String(o.partitions),
        '--rate', String(o.rate), '--seconds', String(o.seconds), '--name', o.name, '--history', o.historyPath, '--seed', String(o.seed), '--group', group, ...stopFile,
        ...(o.producer === false ? ['--no-producer'] : []), ...(o.consumer === false ? ['--no-consumer'] : [])]];
  }
}

function lastReport(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  try {
    const last = JSON.parse(lines[lines.length - 1] ?? '') as { t?: unknown };
    return last.t === 'report' ? last : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns `command` in its own process group; SIGKILLed after `hardTimeoutMs`. */
function spawnGroup(command: string, args: readonly string[], hardTimeoutMs: number, stopTimeoutMs: number): Workload {
  const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const stdout = new BoundedCapture();
  const all = new BoundedCapture();
  child.stdout!.on('data', (c: Buffer) => {
    stdout.push(c);
    all.push(c);
  });
  child.stderr!.on('data', (c: Buffer) => all.push(c));
  const hardTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), hardTimeoutMs);
  const exited = new Promise<WorkloadExit>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(hardTimer);
      live.delete(child);
      resolve({ code, signal, report: lastReport(stdout.text()), output: all.text() });
    };
    // 'close' waits for the pipes, so the summary line is complete.
    child.once('close', done);
    child.once('error', (error) => {
      all.push(Buffer.from(`\nspawn error: ${error.message}`));
      done(null, null);
    });
  });
  let finished = false;
  void exited.then(() => (finished = true));
  const kill = async (): Promise<WorkloadExit> => {
    signalGroup(child, 'SIGKILL');
    return exited;
  };
  const stop = async (): Promise<WorkloadExit> => {
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), stopTimeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return { pid: child.pid ?? -1, exited, stop, kill, running: () => !finished };
}

export function startWorkload(options: WorkloadOptions): Workload {
  if (!(options.partitions >= 1) || !(options.rate > 0) || !(options.seconds > 0)) {
    throw new Error(`startWorkload: partitions >= 1, rate > 0 and seconds > 0 required, got ${JSON.stringify(options)}`);
  }
  const [command, args] = commandOf(options);
  return spawnGroup(command, args, options.seconds * 1000 + HARD_GRACE_MS, options.stopTimeoutMs ?? STOP_TIMEOUT_MS_DEFAULT);
}

export interface FinalReadOptions {
  /** Default: from the topic's metadata. */
  readonly partitions?: number;
  readonly timeoutMs?: number;
}

/**
 * Runs final-read.py: reads every partition of `topic` from log start to high watermark and
 * writes the final-read JSON to `path`. Rejects (with the script's output) when it fails.
 */
export async function finalRead(bootstrap: string, topic: string, path: string, options: FinalReadOptions = {}): Promise<WorkloadExit> {
  const timeoutMs = options.timeoutMs ?? FINAL_READ_TIMEOUT_MS_DEFAULT;
  const args = ['-u', `${WORKLOADS_DIR}final-read.py`, bootstrap, topic, path, '--timeout-s', String(timeoutMs / 1000)];
  if (options.partitions !== undefined) args.push('--partitions', String(options.partitions));
  const reader = spawnGroup(PYTHON, args, timeoutMs + 15_000, 5000);
  const exit = await reader.exited;
  if (exit.code !== 0) throw new Error(`final read of ${topic} failed (exit ${exit.code ?? exit.signal}):\n${exit.output.slice(-4000)}`);
  return exit;
}
