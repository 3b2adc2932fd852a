/**
 * Helpers for Deno tests that run brokers as child processes (Deno.Command): the Node
 * broker (`node apps/broker-node/dist/cli.js broker`, built by turbo before the tests) and
 * the Deno broker (`deno run <minimal permissions> apps/broker-deno/src/main.ts`), both
 * on 127.0.0.1, plus kcat (/usr/bin/kcat) to drive them.
 *
 * Bounded: readiness and kcat runs have deadlines (SIGKILL past them); captured output is
 * capped at OUTPUT_BYTES_MAX per stream.
 */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const NODE_CLI = `${REPO_ROOT}apps/broker-node/dist/cli.js`;
export const DENO_MAIN = `${REPO_ROOT}apps/broker-deno/src/main.ts`;
export const KCAT = '/usr/bin/kcat';
export const HOST = '127.0.0.1';
const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;
const decoder = new TextDecoder();

export type BrokerRuntime = 'node' | 'deno';

/** The permissions the Deno broker runs with (also in apps/broker-deno/README.md). */
export function denoBrokerPermissions(dataDir: string): string[] {
  return [
    `--allow-net=${HOST}`,
    `--allow-read=${dataDir}`,
    `--allow-write=${dataDir}`,
    '--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED',
    '--allow-sys=hostname',
  ];
}

export function brokerCommandLine(runtime: BrokerRuntime, port: number, dataDir: string, extra: readonly string[] = []): { cmd: string; args: string[] } {
  const flags = ['--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...extra];
  if (runtime === 'node') return { cmd: 'node', args: [NODE_CLI, 'broker', ...flags] };
  return { cmd: Deno.execPath(), args: ['run', ...denoBrokerPermissions(dataDir), DENO_MAIN, ...flags] };
}

export async function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  for await (const chunk of stream) {
    sink.text += decoder.decode(chunk, { stream: true });
    if (sink.text.length > OUTPUT_BYTES_MAX) sink.text = sink.text.slice(-OUTPUT_BYTES_MAX);
  }
}

export interface BrokerChild {
  readonly runtime: BrokerRuntime;
  readonly bootstrap: string;
  output(): string;
  /** SIGTERM and wait; resolves the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number>;
}

export async function startBrokerChild(runtime: BrokerRuntime, dataDir: string, extra: readonly string[] = [], readyTimeoutMs = 60_000): Promise<BrokerChild> {
  const port = await freePort();
  const { cmd, args } = brokerCommandLine(runtime, port, dataDir, extra);
  const child = new Deno.Command(cmd, { args, cwd: REPO_ROOT, stdin: 'null', stdout: 'piped', stderr: 'piped' }).spawn();
  const out = { text: '' };
  const drained = Promise.all([drain(child.stdout, out), drain(child.stderr, out)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (!out.text.includes('listening on')) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      await status;
      await drained;
      throw new Error(`${runtime} broker did not start:\n${out.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    runtime,
    bootstrap: `${HOST}:${port}`,
    output: () => out.text,
    async stop(timeoutMs = 30_000) {
      if (!exited) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, timeoutMs);
      const s = await status;
      clearTimeout(timer);
      await drained;
      return s.code;
    },
  };
}

export interface KcatResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function kcat(args: readonly string[], input?: string, timeoutMs = 60_000): Promise<KcatResult> {
  const child = new Deno.Command(KCAT, { args: [...args], stdin: input === undefined ? 'null' : 'piped', stdout: 'piped', stderr: 'piped' }).spawn();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const result = await child.output();
  clearTimeout(timer);
  return { code: result.code, stdout: decoder.decode(result.stdout), stderr: decoder.decode(result.stderr) };
}

export interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** Everything in `topic` from the beginning to the end (kcat -C -e), sorted by partition then offset. */
export async function kcatReadAll(bootstrap: string, topic: string): Promise<Consumed[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n']);
  if (r.code !== 0) throw new Error(`kcat -C failed (${r.code}): ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  return lines
    .map((line) => {
      const [p, o, k, ...rest] = line.split('\t');
      return { partition: Number(p), offset: Number(o), key: k ?? '', value: rest.join('\t') };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
