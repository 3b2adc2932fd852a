/**
 * Restart after SIGKILL: an idempotent librdkafka producer writes, the broker is killed
 * with SIGKILL and started again on the same directory and port, and the SAME producer
 * (same producer id, epoch and sequence numbers) carries on.
 *
 * Checks: everything acknowledged before the kill is readable; offsets continue where
 * they stopped (no gap, no reuse); the idempotent producer's state survived (the broker
 * accepts the producer's next sequence numbers instead of answering
 * OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID, and nothing is duplicated).
 *
 * The broker runs with its default flush policy; acknowledged data has reached the OS,
 * which survives a process kill (a machine crash is the log engine's crash tests' job).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, REPO_ROOT, createTopic, expectOk, python, sleep, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';
import { PY_CONSUME, PY_PRODUCE_ACROSS_RESTART, lastJson } from './python-scripts.ts';
import type { ConsumeReport, ProduceReport } from './python-scripts.ts';

const HALF = 3_000;
const PARTITIONS = 3;

describe('restart after SIGKILL', () => {
  const dir = tempDir('restart');
  const dataDir = join(dir.path, 'data');
  let broker: BrokerProcess | undefined;

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('keeps acknowledged records, continues offsets and keeps idempotent producer state', async () => {
    broker = await startBroker({ dataDir });
    const port = broker.port;
    const topic = 'survivor';
    await createTopic(broker.bootstrap, topic, PARTITIONS);

    const child = spawn(PYTHON, ['-c', PY_PRODUCE_ACROSS_RESTART, broker.bootstrap, topic, String(HALF), 'lz4'], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    try {
      for (let i = 0; i < 600 && !stdout.includes('"phase": 1'); i++) await sleep(100);
      const phase1 = lastJson<ProduceReport>(stdout);
      expect(phase1.errors).toEqual([]);
      expect(phase1.delivered).toBe(HALF);

      await broker.kill();
      broker = await startBroker({ dataDir, port });
      child.stdin.write('go\n');
      expect(await exited).toBe(0);
      const phase2 = lastJson<ProduceReport & { phase: number }>(stdout);
      expect(phase2.phase).toBe(2);
      expect(phase2.errors).toEqual([]);
      expect(phase2.delivered).toBe(HALF);

      for (let p = 0; p < PARTITIONS; p++) {
        const before = phase1.offsets[String(p)] ?? [];
        const after = phase2.offsets[String(p)] ?? [];
        const all = [...before, ...after];
        expect(all).toEqual(all.map((_, i) => i)); // continuous across the restart, no reuse
      }
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
      if (stderr.length > 0 && process.env['SAMSA_TEST_VERBOSE']) process.stderr.write(stderr);
    }

    const consumed = lastJson<ConsumeReport>(
      expectOk(await python(PY_CONSUME, [broker.bootstrap, topic, String(PARTITIONS), String(2 * HALF)]), 'python consume').stdout,
    );
    expect(consumed.errors).toEqual([]);
    expect(consumed.records).toHaveLength(2 * HALF);
    expect(new Set(consumed.records.map((r) => r[3])).size).toBe(2 * HALF);
  });

  it('a clean SIGTERM shutdown exits 0, leaves the clean-shutdown marker, and the next start serves the same data', async () => {
    expect(broker).toBeDefined();
    const port = broker!.port;
    expect(await broker!.stop()).toBe(0);
    // The clean-shutdown marker: Kafka's per-log-dir file, written by the LogManager.
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    broker = await startBroker({ dataDir, port });
    const consumed = lastJson<ConsumeReport>(
      expectOk(await python(PY_CONSUME, [broker.bootstrap, 'survivor', String(PARTITIONS), String(2 * HALF)]), 'python consume').stdout,
    );
    expect(consumed.records).toHaveLength(2 * HALF);
  });
});
