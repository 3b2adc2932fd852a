/**
 * The `samsa` CLI end to end, as a user runs it: help and exit codes, config errors that
 * name the key, the connect line, the admin port (/healthz, /metrics), clean SIGTERM
 * shutdown, and topics/produce/consume round trips against a real broker process.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI_PATH, freePort, kcat, expectOk, samsa, sleep, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

describe('samsa CLI: usage and config errors', () => {
  it('--help lists the commands and exits 0', async () => {
    const result = await samsa(['--help']);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    for (const command of ['broker', 'topics', 'produce', 'consume', 'cluster']) expect(text).toContain(command);
    for (const sub of [['broker'], ['consume']]) {
      const help = await samsa([...sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.toString()).toContain('Usage: samsa');
    }
  });

  it('an unknown command or flag exits 2', async () => {
    expect((await samsa(['frobnicate'])).code).toBe(2);
    expect((await samsa(['broker', '--no-such-flag'])).code).toBe(2);
    expect((await samsa(['broker', '--port', 'ninety'])).code).toBe(2);
  });

  it('an unknown config key or a bad value exits 2 naming the key', async () => {
    const dir = tempDir('cli-config');
    try {
      const unknown = await samsa(['broker', '--data-dir', dir.path, '--override', 'log.retention.minuets=5']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('log.retention.minuets');
      const file = join(dir.path, 'server.properties');
      writeFileSync(file, '# a Kafka-style file\nnum.partitions=3\nmessage.max.bytes=lots\n');
      const bad = await samsa(['broker', '--config', file, '--data-dir', dir.path]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('message.max.bytes');
      const missing = await samsa(['broker', '--config', join(dir.path, 'nope.properties')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nope.properties');
    } finally {
      dir.remove();
    }
  });

  it('a client command with no broker to talk to exits 1 and says how to start one', async () => {
    const port = await freePort();
    const result = await samsa(['topics', 'list', '--bootstrap', `127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('samsa broker');
  });
});

describe('samsa CLI against a running broker', () => {
  const dir = tempDir('cli');
  let broker: BrokerProcess;
  let adminPort: number;

  beforeAll(async () => {
    adminPort = await freePort();
    broker = await startBroker({ dataDir: join(dir.path, 'data'), extraArgs: ['--admin-port', String(adminPort)] });
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('prints the connect line', () => {
    expect(broker.output()).toContain(`samsa broker listening on 127.0.0.1:${broker.port} (data: ${join(dir.path, 'data')}`);
  });

  it('serves /healthz and Prometheus /metrics on the admin port', async () => {
    const health = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
    expect(health.status).toBe(200);
    expectOk(await kcat(['-L', '-b', broker.bootstrap], { timeoutMs: 20_000 }), 'kcat -L');
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toMatch(/samsa_requests_total\{api="Metadata",version="\d+"\} [1-9]/);
    expect(metrics).toContain('samsa_request_latency_seconds_bucket');
    expect(metrics).toMatch(/samsa_bytes_in_total [1-9]/);
    expect(metrics).toContain('samsa_connections');
    expect((await fetch(`http://127.0.0.1:${adminPort}/nope`)).status).toBe(404);
  });

  it('refuses a second broker on the same port with exit 1 and a hint', async () => {
    const other = tempDir('cli-second');
    try {
      const result = await samsa(['broker', '--port', String(broker.port), '--data-dir', other.path, '--log-level', 'silent'], { timeoutMs: 30_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('already in use');
    } finally {
      other.remove();
    }
  });

  it('topics create, list; produce lines with keys; consume them back', async () => {
    const b = ['--bootstrap', broker.bootstrap];
    expectOk(await samsa(['topics', 'create', 'cli-topic', '--partitions', '3', ...b]), 'topics create');
    const again = await samsa(['topics', 'create', 'cli-topic', '--partitions', '3', ...b]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(expectOk(await samsa(['topics', 'list', ...b]), 'topics list').stdout.toString().split('\n')).toContain('cli-topic');

    const lines = Array.from({ length: 300 }, (_, i) => `key-${i % 10}:value-${i}`);
    const produced = expectOk(await samsa(['produce', '--topic', 'cli-topic', '--key-separator', ':', '--acks', 'all', ...b], { input: lines.join('\n') + '\n' }), 'produce');
    expect(produced.stderr).toContain('produced 300 record(s)');

    const out = expectOk(await samsa(['consume', '--topic', 'cli-topic', '--from-beginning', '--print-key', '--key-separator', ':', ...b]), 'consume');
    expect(out.stdout.toString().split('\n').filter((l) => l.length > 0).sort()).toEqual([...lines].sort());

    const one = expectOk(await samsa(['consume', '--topic', 'cli-topic', '--partition', '0', '--offset', '0', '--max-messages', '2', '--print-offset', ...b]), 'consume --offset');
    const firstTwo = one.stdout.toString().split('\n').filter((l) => l.length > 0);
    expect(firstTwo).toHaveLength(2);
    expect(firstTwo[0]).toMatch(/^0:0\tvalue-\d+$/);
    expect(firstTwo[1]).toMatch(/^0:1\tvalue-\d+$/);

    const none = await samsa(['consume', '--topic', 'no-such-topic', ...b]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('does not exist');
  });

  it('topics describe, alter (partitions and configs) and delete', async () => {
    const b = ['--bootstrap', broker.bootstrap];
    expectOk(await samsa(['topics', 'create', 'cli-alter', '-p', '2', '-c', 'retention.ms=60000', ...b]), 'topics create');
    const before = JSON.parse(expectOk(await samsa(['topics', 'describe', 'cli-alter', '--json', ...b]), 'describe').stdout.toString()) as Array<{
      partitions: Array<{ partition: number; leader: number }>;
      configs: Record<string, string>;
    }>;
    expect(before[0]!.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(before[0]!.configs['retention.ms']).toBe('60000');
    expectOk(await samsa(['topics', 'alter', 'cli-alter', '-p', '4', '-c', 'retention.ms=120000', ...b]), 'alter');
    const after = JSON.parse(expectOk(await samsa(['topics', 'describe', 'cli-alter', '--json', ...b]), 'describe').stdout.toString()) as typeof before;
    expect(after[0]!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    expect(after[0]!.configs['retention.ms']).toBe('120000');
    expect((await samsa(['topics', 'alter', 'cli-alter', ...b])).code).toBe(2);
    expectOk(await samsa(['topics', 'delete', 'cli-alter', ...b]), 'delete');
    expect(expectOk(await samsa(['topics', 'list', ...b]), 'list').stdout.toString().split('\n')).not.toContain('cli-alter');
  });

  it('produce --compression zstd and lz4, consume reads them', async () => {
    const b = ['--bootstrap', broker.bootstrap];
    expectOk(await samsa(['topics', 'create', 'cli-z', ...b]), 'topics create');
    for (const codec of ['zstd', 'lz4']) {
      expectOk(await samsa(['produce', '-t', 'cli-z', '-z', codec, ...b], { input: `${codec}-a\n${codec}-b\n` }), `produce ${codec}`);
    }
    const out = expectOk(await samsa(['consume', '-t', 'cli-z', '--from-beginning', ...b]), 'consume');
    expect(out.stdout.toString()).toBe('zstd-a\nzstd-b\nlz4-a\nlz4-b\n');
  });

  it('consume --timestamp starts at the first record at or after that time', async () => {
    const b = ['--bootstrap', broker.bootstrap];
    expectOk(await samsa(['topics', 'create', 'cli-time', ...b]), 'topics create');
    expectOk(await samsa(['produce', '-t', 'cli-time', ...b], { input: 'early-1\nearly-2\n' }), 'produce early');
    await new Promise((r) => setTimeout(r, 50));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    expectOk(await samsa(['produce', '-t', 'cli-time', ...b], { input: 'late-1\nlate-2\n' }), 'produce late');
    const out = expectOk(await samsa(['consume', '-t', 'cli-time', '--timestamp', String(between), ...b]), 'consume --timestamp');
    expect(out.stdout.toString()).toBe('late-1\nlate-2\n');
  });

  it('consume --follow prints records produced after it started and stops on SIGINT', async () => {
    const b = ['--bootstrap', broker.bootstrap];
    expectOk(await samsa(['topics', 'create', 'cli-follow', '-p', '2', ...b]), 'topics create');
    expectOk(await samsa(['produce', '-t', 'cli-follow', ...b], { input: 'zero\n' }), 'produce before');
    const child = spawn(process.execPath, [CLI_PATH, 'consume', '-t', 'cli-follow', '--from-beginning', '--follow', ...b], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const lines = (): string[] => out.split('\n').filter((l) => l.length > 0);
    try {
      // Once "zero" is printed the consumer is past the high watermark it started with.
      for (let i = 0; i < 300 && lines().length < 1; i++) await sleep(100);
      expect(lines()).toEqual(['zero']);
      expectOk(await samsa(['produce', '-t', 'cli-follow', '-k', ':', ...b], { input: 'a:one\nb:two\nc:three\n' }), 'produce after');
      for (let i = 0; i < 300 && lines().length < 4; i++) await sleep(100);
      expect(lines().sort()).toEqual(['one', 'three', 'two', 'zero']);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('SIGTERM shuts down cleanly with exit 0', async () => {
    expect(await broker.stop()).toBe(0);
    expect(broker.output()).toContain('stopped cleanly');
  });
});
