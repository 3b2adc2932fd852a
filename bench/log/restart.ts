/**
 * Restart time and memory of a LogManager holding 1,000 partitions, for 1 GB and 10 GB of
 * data in the same run (npx tsx bench/log/restart.ts; `npm run bench -- restart`).
 * RESTART_BENCH_SIZES_MB overrides the sizes (default "1024,10240"). A size is skipped,
 * with the reason printed, when the temp dir's file system has less than 1.5× it free.
 *
 * Each phase runs in a child process so its RSS is its own:
 * - write: 1,000 partitions × (total / 1,000) of 16 KiB batches in 256 KiB segments, clean close;
 * - clean restart (×3, median): `LogManager.open` after a clean shutdown; baseline: listing
 *   and stat-ing every file of the log dirs (the least any restart must do), ×3, median,
 *   same run; printed with the ratio open / baseline;
 * - crash restart: reopen, flush + checkpoint everything, append an unflushed tail spread
 *   over all partitions, `kill -9` the child, then time the recovering `LogManager.open`
 *   for two tail sizes: the time should follow the tail, not the total;
 * - for the first size, the crash restart again with each log's data in one 1 GiB segment
 *   (recovery starts at the active segment's index entry at the recovery point).
 * Target (issue 12, deliverable 7): clean restart of 1,000 partitions / 1 GB < 1 s.
 */
import { spawn } from 'node:child_process';
import { readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogManager } from '@samsa/log';
import { NodeFileSystem, makeTempDir } from '@samsa/runtime/node';
import { makeBatch, mb } from './batches.ts';

const PARTITIONS = 1000;
/** Segment size of the main runs (many segments per log); the one-segment run uses 1 GiB (Kafka's default). */
const SEGMENT_BYTES = 256 * 1024;
const SIZES_MB = (process.env.RESTART_BENCH_SIZES_MB ?? '1024,10240').split(',').map(Number);
const self = fileURLToPath(import.meta.url);

const openManager = (root: string) => LogManager.open({ logDirs: [join(root, 'd1'), join(root, 'd2')], fs: new NodeFileSystem(), highWatermark: 'log-end' });
const memory = () => ({ rssMB: Math.round(process.memoryUsage().rss / 1e6), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1e3) });

async function child(mode: string, root: string, arg: number, segmentBytes: number): Promise<void> {
  if (mode === 'write') {
    const m = await openManager(root);
    const { bytes } = makeBatch(100);
    const perPartition = Math.max(1, Math.floor((arg * 1024 * 1024) / PARTITIONS / bytes.byteLength));
    const start = performance.now();
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await m.getOrCreateLog(`bench${p % 50}`, Math.floor(p / 50), { segmentBytes });
      for (let i = 0; i < perPartition; i++) await log.append(bytes);
    }
    await m.close();
    console.log(JSON.stringify({ writeMs: Math.round(performance.now() - start), bytes: perPartition * bytes.byteLength * PARTITIONS, ...memory() }));
  } else if (mode === 'open') {
    const start = performance.now();
    const m = await openManager(root);
    const openMs = performance.now() - start;
    const result = { openMs: Math.round(openMs), logs: m.size, ...memory() };
    await m.close();
    console.log(JSON.stringify(result));
  } else if (mode === 'list') {
    const start = performance.now();
    let files = 0;
    for (const d of ['d1', 'd2']) {
      for (const name of await readdir(join(root, d))) {
        const dir = join(root, d, name);
        if (!(await stat(dir)).isDirectory()) continue;
        for (const f of await readdir(dir)) {
          await stat(join(dir, f));
          files++;
        }
      }
    }
    console.log(JSON.stringify({ listMs: Math.round(performance.now() - start), files }));
  } else if (mode === 'crash') {
    const m = await openManager(root);
    for (const log of m.allLogs()) await log.flush();
    await m.checkpointAll();
    const { bytes } = makeBatch(100);
    const appends = Math.floor(arg / bytes.byteLength);
    const logs = m.allLogs();
    for (let i = 0; i < appends; i++) await logs[i % logs.length]!.append(bytes);
    console.log(JSON.stringify({ unflushedBytes: appends * bytes.byteLength }));
    await new Promise(() => undefined); // wait for kill -9
  }
}

function run(mode: string, root: string, arg = 0, killOn?: string, segmentBytes = SEGMENT_BYTES): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self, mode, root, String(arg), String(segmentBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killOn !== undefined && out.includes(killOn)) p.kill('SIGKILL');
    });
    p.on('exit', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, number>);
      } catch {
        reject(new Error(`${mode}: no result (${out})`));
      }
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One data size: write, clean restarts against the list+stat baseline, crash restarts. */
async function scenario(sizeMB: number): Promise<void> {
  const root = await makeTempDir('samsa-bench-restart-');
  try {
    const w = await run('write', root, sizeMB);
    console.log(`restart, ${PARTITIONS} partitions, ${mb(w.bytes!)}: written in ${(w.writeMs! / 1000).toFixed(1)} s (writer max RSS ${w.maxRssMB} MB)`);
    await run('open', root); // warm-up (page cache of the directory tree)
    const opens: Record<string, number>[] = [];
    const lists: Record<string, number>[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < 3; i++) {
      opens.push(await run('open', root));
      lists.push(await run('list', root));
    }
    const openMs = median(opens.map((o) => o.openMs!));
    const listMs = median(lists.map((o) => o.listMs!));
    console.log(
      `  clean restart (LogManager.open)   ${openMs} ms   readdir+stat of ${lists[0]!.files} files ${listMs} ms   open/baseline ${(openMs / listMs).toFixed(2)}   (target < 1 s: ${openMs < 1000 ? 'met' : 'NOT met'})`,
    );
    console.log(`  RSS after open ${opens[0]!.rssMB} MB, max RSS ${Math.max(...opens.map((o) => o.maxRssMB!))} MB`);
    for (const tailMB of [16, 128]) {
      const crash = await run('crash', root, tailMB * 1024 * 1024, 'unflushedBytes');
      const recover = await run('open', root);
      const again = await run('open', root);
      console.log(`  crash restart, ${mb(crash.unflushedBytes!)} unflushed tail   ${recover.openMs} ms   clean restart right after ${again.openMs} ms   (max RSS ${recover.maxRssMB} MB)`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Crash restart of logs whose data is all in one (1 GiB) segment: recovery starts at the
 * active segment's index entry at the recovery point, so it should cost the tail only.
 */
async function oneSegmentCrash(sizeMB: number): Promise<void> {
  const root = await makeTempDir('samsa-bench-restart-');
  try {
    const w = await run('write', root, sizeMB, undefined, 1024 * 1024 * 1024);
    const clean = await run('open', root);
    const crash = await run('crash', root, 16 * 1024 * 1024, 'unflushedBytes');
    const recover = await run('open', root);
    console.log(
      `restart, ${PARTITIONS} partitions, ${mb(w.bytes!)} in one segment each: crash restart, ${mb(crash.unflushedBytes!)} unflushed tail   ${recover.openMs} ms   clean restart ${clean.openMs} ms`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const sizeMB of SIZES_MB) {
    const probe = await makeTempDir('samsa-bench-restart-df-');
    const fsStat = await statfs(probe);
    await rm(probe, { recursive: true, force: true });
    const freeMB = (fsStat.bavail * fsStat.bsize) / 1024 / 1024;
    if (freeMB < sizeMB * 1.5) {
      console.log(`restart, ${PARTITIONS} partitions, ${sizeMB} MB: skipped, ${Math.round(freeMB)} MB free on the temp dir's file system (needs ${sizeMB * 1.5} MB)`);
      continue;
    }
    await scenario(sizeMB);
    if (sizeMB === SIZES_MB[0]) await oneSegmentCrash(sizeMB);
  }
}

const [mode, root, arg, segmentBytes] = process.argv.slice(2);
if (mode === undefined) await main();
else await child(mode, root!, Number(arg), Number(segmentBytes));
