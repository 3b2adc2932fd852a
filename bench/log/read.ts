/**
 * Read throughput of @samsa/log from the page cache (npm run bench -- log-read): 512 MiB
 * (READ_BENCH_MB to change)
 * of 16 KiB batches written and flushed, then read from offset 0 to the end with
 * `log.read(offset, 1 MiB)` (index lookup, batch framing, a fresh copy per read), against
 * positional 1 MiB `FileHandle.read`s of the same segment files. Target ≥ 1 GB/s.
 */
import * as fsp from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measure, report } from '@samsa/bench';
import { batchLastOffset, nextBatchEnd } from '@samsa/codec';
import { openLog } from '@samsa/log';
import { NodeFileSystem, makeTempDir } from '@samsa/runtime/node';
import { makeBatch, mb } from './batches.ts';

const TOTAL_BYTES = Number(process.env.READ_BENCH_MB ?? 512) * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

const root = await makeTempDir('samsa-bench-read-');
try {
  const dir = join(root, 'reads-0');
  const log = await openLog({ dir, fs: new NodeFileSystem(), config: { segmentBytes: 128 * 1024 * 1024 } });
  const { bytes } = makeBatch(100);
  const batches = Math.floor(TOTAL_BYTES / bytes.byteLength);
  for (let i = 0; i < batches; i++) await log.append(bytes);
  await log.flush();
  const logBytes = log.sizeBytes;
  console.log(`read: ${mb(logBytes)} in ${log.segmentCount} segments, ${READ_BYTES / 1024} KiB per read`);

  const subject = await measure({ name: 'log.read 1 MiB', unit: 'B', unitsPerRound: logBytes, warmupRounds: 2, rounds: 5 }, async () => {
    let offset = 0;
    let got = 0;
    for (let guard = 0; guard < 1_000_000 && offset < log.logEndOffset; guard++) {
      const { records } = await log.read(offset, READ_BYTES);
      let pos = 0;
      let last = offset;
      while (pos < records.byteLength) {
        last = batchLastOffset(records, pos);
        pos = nextBatchEnd(records, pos);
      }
      got += records.byteLength;
      offset = last + 1;
    }
    if (got < logBytes) throw new Error(`read ${got} of ${logBytes} bytes`);
  });

  const files = (await fsp.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  const handles = await Promise.all(files.map((f) => fsp.open(join(dir, f), 'r')));
  const sizes = await Promise.all(handles.map(async (h) => (await h.stat()).size));
  const baseline = await measure({ name: 'FileHandle.read 1 MiB', unit: 'B', unitsPerRound: logBytes, warmupRounds: 2, rounds: 5 }, async () => {
    for (let f = 0; f < handles.length; f++) {
      for (let pos = 0; pos < sizes[f]!; pos += READ_BYTES) {
        const buffer = new Uint8Array(Math.min(READ_BYTES, sizes[f]! - pos)); // a fresh buffer per read, as log.read returns
        await handles[f]!.read(buffer, 0, buffer.byteLength, pos);
      }
    }
  });
  report(subject, baseline);
  console.log(`    target ≥ 1 GB/s: ${subject.perSecond >= 1e9 ? 'met' : 'NOT met'}`);
  for (const h of handles) await h.close();
  await log.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
