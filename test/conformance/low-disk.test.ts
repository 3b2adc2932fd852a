/**
 * A full disk, for real: the Node broker on a 16 MiB tmpfs (`mount -t tmpfs`, root only;
 * unmounted in afterAll, also after a failure), driven by kcat and KafkaJS.
 *
 * 1. ENOSPC itself (threshold off, `log.dir.free.bytes.min=0`): a producer fills the last
 *    3 MiB of the disk through the broker; its writes fail (short writes and ENOSPC), but the records
 *    already there stay readable, Metadata still shows the partitions led, DeleteTopics
 *    answers and frees the space, and the same partition takes writes again, its offsets
 *    continuing. SIGTERM exits 0. On Node and on Deno (whose free space is unknown under
 *    the harness's permissions, so this path is all it has).
 * 2. The low-disk threshold (default: 5% of this volume): once a ballast file takes the
 *    free space below it, Produce is refused (kcat's delivery fails with the retriable
 *    storage error) and nothing is appended, while reads go on and /healthz and /metrics
 *    say so. With the disk then filled to the last byte, SIGTERM exits 0, a restart on the
 *    full disk comes up and serves the records, and once the ballast is gone writes are
 *    admitted again.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statfsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, createTopic, expectOk, freePort, kcat, kcatReadAll, sleep, startBroker } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const MOUNT_BYTES = 16 * 1024 * 1024;

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return Number(s.bavail) * Number(s.bsize);
}

/** Appends to a ballast file until about `leaveBytes` stay free on `dir`'s volume (tmpfs allocates whole pages). */
function fillTo(dir: string, path: string, leaveBytes: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 1024 && freeBytes(dir) > leaveBytes; i++) {
    const want = Math.min(chunk.length, freeBytes(dir) - leaveBytes);
    try {
      appendFileSync(path, chunk.subarray(0, Math.max(1, want)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
}

function lines(prefix: string, count: number, from = 0): string {
  return Array.from({ length: count }, (_, i) => `${prefix}-${from + i}`).join('\n') + '\n';
}

async function produce(bootstrap: string, topic: string, input: string, extra: readonly string[] = []) {
  return kcat(['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-X', 'message.timeout.ms=4000', '-X', 'linger.ms=5', ...extra], { input, timeoutMs: 30_000 });
}

async function httpText(url: string): Promise<{ status: number; text: string; refused: string | null }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), refused: res.headers.get('x-samsa-writes-refused') };
}

describe('full disk on a real tmpfs', () => {
  const mountDir = mkdtempSync(join(tmpdir(), 'samsa-low-disk-'));
  let mounted = false;
  let broker: BrokerProcess | undefined;

  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES}`, 'tmpfs', mountDir]);
    mounted = true;
  });

  afterAll(async () => {
    await broker?.kill();
    if (mounted) {
      // A just-killed child can keep the mount busy for a moment: retry, then detach it lazily.
      for (let attempt = 0; mounted && attempt < 20; attempt++) {
        try {
          execFileSync('umount', [mountDir], { stdio: 'pipe' });
          mounted = false;
        } catch {
          await sleep(100);
        }
      }
      if (mounted) execFileSync('umount', ['-l', mountDir], { stdio: 'pipe' });
    }
    rmSync(mountDir, { recursive: true, force: true });
  });

  // Deno too: with the harness's minimal permissions (no --allow-sys=statfs) its free space
  // is unknown, so the ENOSPC path is all it has — what its README says.
  for (const runtime of RUNTIMES) {
    it(`ENOSPC fails the writes only: reads go on, DeleteTopics frees space, writes resume; SIGTERM exits 0 (${runtime})`, async () => {
      const dataDir = join(mountDir, `enospc-${runtime}`);
      await broker?.kill(); // (only after a failure of an earlier test)
      mkdirSync(dataDir);
      broker = await startBroker({ dataDir, runtime, overrides: ['log.dir.free.bytes.min=0'] });
      await createTopic(broker.bootstrap, 'keep', 1);
      await createTopic(broker.bootstrap, 'fill', 1);
      expectOk(await produce(broker.bootstrap, 'keep', lines('keep', 200)), 'produce keep');
      // A ballast leaves 3 MiB; 6 MiB of 100 KiB records through the broker fill the rest.
      const ballast = join(mountDir, `ballast-enospc-${runtime}`);
      fillTo(mountDir, ballast, 3 * 1024 * 1024);
      const big = Array.from({ length: 60 }, (_, i) => `${i}-${'x'.repeat(100 * 1024)}`).join('\n') + '\n';
      const filling = await produce(broker.bootstrap, 'fill', big, ['-X', 'batch.size=200000']);
      expect({ kcat: filling.stderr.split('\n').filter((l) => /fail|error|down/i.test(l)), broker: broker.output().slice(-2000) }).toMatchObject({
        kcat: expect.arrayContaining([expect.stringMatching(/Delivery failed|Message timed out|storage|Disk/i)]),
      });
      expect(freeBytes(mountDir)).toBeLessThan(256 * 1024);
      // What was there stays readable, and a write to it fails alone.
      expect((await kcatReadAll(broker.bootstrap, 'keep')).map((l) => l.value)).toEqual(lines('keep', 200).trim().split('\n'));
      const meta = expectOk(await kcat(['-L', '-b', broker.bootstrap, '-t', 'keep', '-J'], { timeoutMs: 20_000 }), 'kcat -L');
      const topic = (JSON.parse(meta.stdout.toString('utf8')) as { topics: Array<{ partitions: Array<{ leader: number }> }> }).topics[0]!;
      expect(topic.partitions[0]!.leader).toBeGreaterThanOrEqual(0);
      // DeleteTopics answers (it used to close the connection) and frees the space.
      const { Kafka, logLevel } = (await import('kafkajs')).default;
      const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: ['fill'], timeout: 10_000 });
      } finally {
        await admin.disconnect();
      }
      expect(freeBytes(mountDir)).toBeGreaterThan(2 * 1024 * 1024);
      expectOk(await produce(broker.bootstrap, 'keep', lines('again', 10)), 'produce after delete');
      const after = await kcatReadAll(broker.bootstrap, 'keep');
      expect(after.length).toBe(210);
      expect(after.map((l) => l.offset)).toEqual(Array.from({ length: 210 }, (_, i) => i));
      expect(await broker.stop()).toBe(0);
      broker = undefined;
      unlinkSync(ballast);
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  it('below the threshold Produce is refused and nothing appended; full-disk SIGTERM exits 0 and a restart serves reads', async () => {
    const dataDir = join(mountDir, 'threshold');
    await broker?.kill(); // (only after a failure of an earlier test)
    for (const runtime of RUNTIMES) rmSync(join(mountDir, `enospc-${runtime}`), { recursive: true, force: true });
    for (const runtime of RUNTIMES) rmSync(join(mountDir, `ballast-enospc-${runtime}`), { force: true });
    mkdirSync(dataDir);
    const adminPort = await freePort();
    broker = await startBroker({ dataDir, extraArgs: ['--admin-port', String(adminPort)], overrides: ['log.dir.free.check.interval.ms=200'] });
    const adminBase = `http://127.0.0.1:${adminPort}`;
    await createTopic(broker.bootstrap, 'keep', 1);
    expectOk(await produce(broker.bootstrap, 'keep', lines('keep', 100)), 'produce keep');
    const healthy = await httpText(`${adminBase}/healthz`);
    expect([healthy.status, healthy.refused]).toEqual([200, 'false']);
    expect(healthy.text).toContain('disk: ok');

    // Below the default threshold (5% of 16 MiB ≈ 819 KiB), above zero.
    const ballast = join(mountDir, 'ballast');
    fillTo(mountDir, ballast, 300 * 1024);
    await sleep(400); // past log.dir.free.check.interval.ms
    const refused = await produce(broker.bootstrap, 'keep', lines('refused', 5));
    expect(refused.stderr).toMatch(/Delivery failed|timed out|storage|Disk/i);
    expect((await kcatReadAll(broker.bootstrap, 'keep')).length).toBe(100);
    const low = await httpText(`${adminBase}/healthz`);
    expect([low.status, low.refused]).toEqual([200, 'true']);
    expect(low.text).toContain('disk: low');
    const metrics = (await httpText(`${adminBase}/metrics`)).text;
    expect(metrics).toMatch(/^samsa_log_dir_writes_refused 1$/m);
    expect(metrics).toMatch(/^samsa_log_dir_free_bytes \d+$/m);
    expect(metrics).toMatch(/^samsa_log_dir_writes_refused_total [1-9]\d*$/m);

    // The last byte goes too; shutdown and a start on the full disk still work.
    fillTo(mountDir, ballast, 0);
    expect(freeBytes(mountDir)).toBeLessThan(8192);
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ dataDir, port: broker.port, extraArgs: ['--admin-port', String(adminPort)], overrides: ['log.dir.free.check.interval.ms=200'] });
    expect((await kcatReadAll(broker.bootstrap, 'keep')).map((l) => l.value)).toEqual(lines('keep', 100).trim().split('\n'));

    // Space back: writes are admitted again.
    unlinkSync(ballast);
    await sleep(400);
    expectOk(await produce(broker.bootstrap, 'keep', lines('back', 3)), 'produce after space returned');
    expect((await kcatReadAll(broker.bootstrap, 'keep')).length).toBe(103);
    expect(await broker.stop()).toBe(0);
    broker = undefined;
  });
});
