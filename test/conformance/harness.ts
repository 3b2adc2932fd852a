/**
 * Shared helpers for the conformance suites: each suite starts its own broker as a child
 * process (`node apps/broker-node/dist/cli.js broker`, or with `runtime: 'deno'` the Deno
 * broker, `deno run <minimal permissions> apps/broker-deno/src/main.ts`) on a free loopback port with a
 * fresh temporary data directory, and drives it with clients nobody here wrote (kcat,
 * KafkaJS, python3-confluent-kafka).
 *
 * Everything is bounded: child processes get a timeout and are killed past it, captured
 * output is capped, and polling loops have a deadline. Only 127.0.0.1 is ever bound.
 *
 * The process, socket and topic helpers are @samsa/bench's (apps/bench/src), shared with the
 * benchmarks; this file adds what only the suites use (python, the samsa CLI, kcat output
 * parsing, RUNTIMES).
 *
 * The broker must be built first (`turbo run build --filter=@samsa/broker-node...`);
 * the root `npm test` builds before it runs these.
 */
import type { Socket } from 'node:net';
import { assertBuilt, CLI_PATH, expectOk, kcat, run } from '@samsa/bench';
import type { BrokerRuntime, RunOptions, RunResult } from '@samsa/bench';

export {
  apiVersionsFrame,
  assertBuilt,
  CLI_PATH,
  connect,
  createTopic,
  DENO_BIN,
  DENO_MAIN,
  denoPermissions,
  expectOk,
  freePort,
  HOST,
  kcat,
  KCAT,
  probeApiVersions,
  readFrame,
  REPO_ROOT,
  rssKiB,
  run,
  sleep,
  startBroker,
  tempDir,
} from '@samsa/bench';
export type { BrokerProcess, BrokerRuntime, RunOptions, RunResult, StartOptions } from '@samsa/bench';

/** The Debian python3: the only one with confluent_kafka importable. */
export const PYTHON = '/usr/bin/python3';

/** The suites that must pass on both runtimes loop over this (`for (const runtime of RUNTIMES) describe(...)`). */
export const RUNTIMES: readonly BrokerRuntime[] = ['node', 'deno'];

/** Resolves true when the peer closes the socket within `timeoutMs`, false otherwise. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(false);
    }, timeoutMs);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', onClose);
    socket.on('error', () => {});
    socket.resume();
  });
}

/** Runs a python3 script given as text; extra args land in sys.argv[1:]. */
export function python(script: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return run(PYTHON, ['-c', script, ...args], { timeoutMs: 90_000, ...options });
}

/** Runs the samsa CLI (built) with a timeout. */
export function samsa(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  return run(process.execPath, [CLI_PATH, ...args], { timeoutMs: 60_000, ...options });
}

export interface ConsumedLine {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** Reads a whole topic with kcat (-C -e) and parses `partition offset key value` lines. */
export async function kcatReadAll(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<ConsumedLine[]> {
  const result = expectOk(
    await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n'], { timeoutMs }),
    `kcat -C ${topic}`,
  );
  return parseConsumed(result.stdout.toString('utf8'));
}

export function parseConsumed(text: string): ConsumedLine[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  return lines.map((line) => {
    const [p, o, k, ...rest] = line.split('\t');
    return { partition: Number(p), offset: Number(o), key: k ?? '', value: rest.join('\t') };
  });
}

/** Groups consumed lines by partition, each sorted by offset. */
export function byPartition(lines: readonly ConsumedLine[]): Map<number, ConsumedLine[]> {
  const map = new Map<number, ConsumedLine[]>();
  for (const l of lines) {
    const list = map.get(l.partition) ?? [];
    list.push(l);
    map.set(l.partition, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.offset - b.offset);
  return map;
}
