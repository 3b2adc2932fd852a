/**
 * Append throughput of @samsa/log on Node, against a plain sequential file write of the
 * same bytes, measured in one run (npm run bench -- log-append).
 *
 * 1. No fsync: 100-byte and 1 KB records in 16 KiB batches, `log.append` one batch at a
 *    time (validation, offset assignment, CRC check, index entries included) vs
 *    `FileHandle.write` of the same 16 KiB buffers. Target ratio ≥ 0.5.
 * 2. fsync every append (flush policy every-append) with 8 concurrent appenders sharing
 *    syncs (group commit) vs one writer doing write + fdatasync per 16 KiB.
 */
import { rm } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { formatRate, measure, report } from '@samsa/bench';
import { openLog } from '@samsa/log';
import { NodeFileSystem, makeTempDir } from '@samsa/runtime/node';
import { BATCH_BYTES, makeBatch, mb } from './batches.ts';

const ROUND_BATCHES = 2048; // 32 MiB per round
const SYNC_ROUND_BATCHES = 256; // 4 MiB per round with fsync
const APPENDERS = 8;

async function noFsync(root: string, recordBytes: number): Promise<void> {
  const { bytes, records } = makeBatch(recordBytes);
  const fs = new NodeFileSystem();
  let n = 0;
  const log = await openLog({ dir: join(root, `nofsync${recordBytes}-0`), fs });
  const subject = await measure({ name: `log.append ${recordBytes} B records`, unit: 'B', unitsPerRound: bytes.byteLength * ROUND_BATCHES }, async () => {
    for (let i = 0; i < ROUND_BATCHES; i++) await log.append(bytes);
  });
  const baseline = await measure({ name: 'plain write', unit: 'B', unitsPerRound: bytes.byteLength * ROUND_BATCHES }, async () => {
    const fh = await fsp.open(join(root, `plain${n++}`), 'w');
    for (let i = 0; i < ROUND_BATCHES; i++) await fh.write(bytes);
    await fh.close();
  });
  report(subject, baseline, { ratioMin: 0.5 });
  const recordsPerSecond = (subject.perSecond / bytes.byteLength) * records;
  console.log(`    ${recordBytes} B records: ${formatRate(recordsPerSecond, 'records')} (${records} per batch); plain write ${formatRate((baseline.perSecond / bytes.byteLength) * records, 'records')}`);
  await log.close();
}

async function withFsync(root: string, recordBytes: number): Promise<void> {
  const { bytes, records } = makeBatch(recordBytes);
  const fs = new NodeFileSystem();
  const log = await openLog({ dir: join(root, `fsync${recordBytes}-0`), fs, config: { flushPolicy: { kind: 'every-append' } } });
  const perAppender = SYNC_ROUND_BATCHES / APPENDERS;
  // Each appender owns its buffer: append assigns offsets in place.
  const buffers = Array.from({ length: APPENDERS }, () => bytes.slice());
  let syncedAppends = 0;
  const subject = await measure({ name: `log.append+fsync ${recordBytes} B x${APPENDERS}`, unit: 'B', unitsPerRound: bytes.byteLength * SYNC_ROUND_BATCHES, warmupRounds: 1, rounds: 5 }, async () => {
    await Promise.all(
      buffers.map(async (buffer) => {
        for (let i = 0; i < perAppender; i++) if ((await log.append(buffer)).synced) syncedAppends++;
      }),
    );
  });
  let n = 0;
  const baseline = await measure({ name: 'write+fdatasync', unit: 'B', unitsPerRound: bytes.byteLength * SYNC_ROUND_BATCHES, warmupRounds: 1, rounds: 5 }, async () => {
    const fh = await fsp.open(join(root, `plainsync${n++}`), 'w');
    for (let i = 0; i < SYNC_ROUND_BATCHES; i++) {
      await fh.write(bytes);
      await fh.datasync();
    }
    await fh.close();
  });
  report(subject, baseline);
  console.log(`    ${formatRate((subject.perSecond / bytes.byteLength) * records, 'records')}; every append synced: ${syncedAppends === SYNC_ROUND_BATCHES * 6}`);
  await log.close();
}

const root = await makeTempDir('samsa-bench-log-');
try {
  console.log(`append, 16 KiB batches (${BATCH_BYTES} B), ${mb(BATCH_BYTES * ROUND_BATCHES)} per round, temp dir ${root}`);
  await noFsync(root, 100);
  await noFsync(root, 1000);
  console.log(`fsync every append, ${mb(BATCH_BYTES * SYNC_ROUND_BATCHES)} per round`);
  await withFsync(root, 100);
  await withFsync(root, 1000);
} finally {
  await rm(root, { recursive: true, force: true });
}
