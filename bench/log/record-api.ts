/**
 * log-record-api: the record-level API of @samsa/log (openRecordLog) against what it is
 * built on and what an embedder would use instead, all in one run (issue 19's figures):
 *
 *   npm run bench -- log-record-api
 *
 * Appends, for 100 B and 1 KiB values, one appender and 8 concurrent appenders, and each
 * durability ('none', 'os', 'fsync'): every appender awaits each append before the next,
 * one record per append (the shape of an app logging events). Each figure is the median of
 * the rounds after an untimed warm-up, next to, in the same run:
 *   - the batch-level API doing the same (a one-record batch per `Log.append`, built with
 *     the codec; `requireSync` for fsync): goal record ÷ batch ≥ 0.8;
 *   - a plain file write of the same value bytes per append (`FileHandle.write`, plus
 *     `datasync()` for fsync), the machine's floor for this shape.
 * Reads: 200 000 records of 100 B through `stream()` vs the batch-level read
 * (`Log.read` of 1 MiB + `forEachBatch` + `iterateRecords`), both touching every value.
 * Context: SQLite in WAL mode (Node 22's built-in node:sqlite; Node 22 comes from npm into a
 * temp dir, once per machine), one INSERT per record in autocommit, synchronous=OFF / NORMAL
 * / FULL for none / os / fsync, one appender.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRate, measure, report } from '@samsa/bench';
import { buildRecordBatch, forEachBatch, iterateRecords } from '@samsa/codec';
import { openLog, openRecordLog } from '@samsa/log';
import type { Durability } from '@samsa/log';
import { NodeFileSystem, makeTempDir, nodeRuntime } from '@samsa/runtime/node';
import { loadAverage } from '../machine.ts';

const SIZES = [100, 1024] as const;
const APPENDERS = [1, 8] as const;
const DURABILITIES: readonly Durability[] = ['none', 'os', 'fsync'];
/** Records per round: fsync rounds are bounded by the disk's sync latency. */
const ROUND_RECORDS: Readonly<Record<Durability, number>> = { none: 20_000, os: 10_000, fsync: 400 };
const READ_RECORDS = 200_000;
const NODE22_VERSION = '22.23.3';

const summary: string[] = [];

async function appends(root: string, recordBytes: number, appenders: number, durability: Durability): Promise<void> {
  const value = new Uint8Array(recordBytes).fill(7);
  const total = ROUND_RECORDS[durability] * (durability === 'fsync' && appenders > 1 ? 4 : 1);
  const perAppender = Math.floor(total / appenders);
  const label = `${recordBytes} B x${appenders} ${durability}`;
  const options = { warmupRounds: 1, rounds: 5, unit: 'records', unitsPerRound: perAppender * appenders } as const;
  let n = 0;

  const recordLog = await openRecordLog(join(root, `rec-${recordBytes}-${appenders}-${durability}`), { runtime: nodeRuntime(), durability, maintenanceIntervalMs: 0 });
  const subject = await measure({ ...options, name: `record API ${label}` }, async () => {
    await Promise.all(Array.from({ length: appenders }, async () => {
      for (let i = 0; i < perAppender; i++) await recordLog.append({ value });
    }));
    // 'none' acknowledges before the write: count the round as done once it is written.
    if (durability === 'none') await recordLog.append({ value }, { durability: 'os' });
  });
  await recordLog.close();

  const log = await openLog({ dir: join(root, `batch${n++}-${recordBytes}-${appenders}-${durability}-0`), fs: new NodeFileSystem() });
  const requireSync = durability === 'fsync';
  const batchLevel = await measure({ ...options, name: 'batch API' }, async () => {
    await Promise.all(Array.from({ length: appenders }, async () => {
      for (let i = 0; i < perAppender; i++) await log.append(buildRecordBatch([{ value, timestampMs: Date.now() }]), { requireSync });
    }));
  });
  await log.close();

  const plain = await measure({ ...options, name: 'plain write' }, async () => {
    const fh = await fsp.open(join(root, `plain${n++}`), 'a');
    await Promise.all(Array.from({ length: appenders }, async () => {
      for (let i = 0; i < perAppender; i++) {
        await fh.write(value);
        if (requireSync) await fh.datasync();
      }
    }));
    await fh.close();
  });
  const vsBatch = report(subject, batchLevel, { ratioMin: 0.8 });
  const vsPlain = subject.perSecond / plain.perSecond;
  console.log(`${''.padEnd(44)} ${''.padStart(14)}   vs plain write ${formatRate(plain.perSecond, 'records')}   ratio ${vsPlain.toFixed(2)}`);
  summary.push(`| ${recordBytes} B | ${appenders} | ${durability} | ${formatRate(subject.perSecond, 'rec')} | ${formatRate(batchLevel.perSecond, 'rec')} | ${vsBatch.toFixed(2)} | ${formatRate(plain.perSecond, 'rec')} | ${vsPlain.toFixed(2)} |`);
}

async function reads(root: string): Promise<void> {
  const value = new Uint8Array(100).fill(3);
  const dir = join(root, 'read');
  const recordLog = await openRecordLog(dir, { runtime: nodeRuntime(), durability: 'none', maintenanceIntervalMs: 0 });
  for (let i = 0; i < READ_RECORDS; i += 1000) await recordLog.append(Array.from({ length: 1000 }, () => ({ value })));
  await recordLog.flush();
  let sink = 0;
  const streamed = await measure({ name: 'stream() 100 B records', unit: 'records', unitsPerRound: READ_RECORDS, warmupRounds: 1, rounds: 5 }, async () => {
    for await (const r of recordLog.stream()) sink += r.value!.length;
  });
  const log = recordLog.engine;
  const batchRead = await measure({ name: 'Log.read + iterateRecords', unit: 'records', unitsPerRound: READ_RECORDS, warmupRounds: 1, rounds: 5 }, async () => {
    for (let next = log.logStartOffset; next < log.logEndOffset;) {
      const { records } = await log.read(next, 1 << 20);
      forEachBatch(records, (pos) => {
        for (const r of iterateRecords(records, pos)) {
          if (r.offset < next) continue;
          sink += r.value!.length;
          next = r.offset + 1;
        }
      });
    }
  });
  const ratio = report(streamed, batchRead);
  summary.push(`| read | | | ${formatRate(streamed.perSecond, 'rec')} | ${formatRate(batchRead.perSecond, 'rec')} | ${ratio.toFixed(2)} | | |`);
  await recordLog.close();
  if (sink === 0) throw new Error('nothing read');
}

/** Node 22 from npm (for node:sqlite), installed once per machine outside the workspace. */
function node22(): string | null {
  const dir = join(tmpdir(), `samsa-bench-node-${NODE22_VERSION}`);
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'samsa-bench-node22', private: true }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `node@${NODE22_VERSION}`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || !existsSync(bin)) {
    console.log(`SQLite baseline skipped: installing node@${NODE22_VERSION} from npm failed (${r.stderr?.slice(-300)})`);
    return null;
  }
  return bin;
}

const SQLITE_SCRIPT = `
import { DatabaseSync } from 'node:sqlite';
const [path, recordBytesText, countText, synchronous] = process.argv.slice(2);
const db = new DatabaseSync(path);
db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=' + synchronous + '; CREATE TABLE IF NOT EXISTS log (offset INTEGER PRIMARY KEY, ts INTEGER, value BLOB)');
const insert = db.prepare('INSERT INTO log (ts, value) VALUES (?, ?)');
const value = new Uint8Array(Number(recordBytesText)).fill(7);
const count = Number(countText);
for (let i = 0; i < Math.min(count, 2000); i++) insert.run(Date.now(), value); // warm-up
const rates = [];
for (let round = 0; round < 5; round++) {
  const start = performance.now();
  for (let i = 0; i < count; i++) insert.run(Date.now(), value);
  rates.push(count * 1000 / (performance.now() - start));
}
rates.sort((a, b) => a - b);
console.log(JSON.stringify({ median: rates[2], min: rates[0], max: rates[4] }));
db.close();
`;

function sqlite(root: string): void {
  const bin = node22();
  if (bin === null) return;
  const script = join(root, 'sqlite.mjs');
  writeFileSync(script, SQLITE_SCRIPT);
  const sync: Readonly<Record<Durability, string>> = { none: 'OFF', os: 'NORMAL', fsync: 'FULL' };
  for (const recordBytes of SIZES) {
    for (const durability of DURABILITIES) {
      const r = spawnSync(bin, ['--no-warnings', script, join(root, `sqlite-${recordBytes}-${durability}.db`), String(recordBytes), String(ROUND_RECORDS[durability]), sync[durability]], { encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) {
        console.log(`SQLite ${recordBytes} B ${durability}: failed (${r.stderr.slice(-300)})`);
        continue;
      }
      const { median, min, max } = JSON.parse(r.stdout) as { median: number; min: number; max: number };
      console.log(`SQLite WAL ${recordBytes} B x1 ${durability} (synchronous=${sync[durability]})`.padEnd(44) + ` ${formatRate(median, 'records').padStart(14)}   (min ${formatRate(min, 'records')}, max ${formatRate(max, 'records')})`);
      summary.push(`| ${recordBytes} B | 1 | ${durability} | SQLite WAL ${formatRate(median, 'rec')} | | | | |`);
    }
  }
}

const root = await makeTempDir('samsa-bench-record-api-');
try {
  console.log(`log-record-api: record-level API vs batch-level API vs plain write, temp dir ${root}; load average before ${loadAverage()}`);
  for (const recordBytes of SIZES) for (const appenders of APPENDERS) for (const durability of DURABILITIES) await appends(root, recordBytes, appenders, durability);
  await reads(root);
  sqlite(root);
  console.log(`\nload average after ${loadAverage()}\n`);
  console.log('| value | appenders | durability | record API | batch API | ÷ batch | plain write | ÷ plain |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of summary) console.log(line);
} finally {
  await fsp.rm(root, { recursive: true, force: true });
}
