// Sequential reads (a consumer asking for the offset after its last batch) start where
// the previous read ended: one positional read of about maxBytes per call, not a second
// one after starting a whole indexed batch early. After a truncation the old position
// must not be used: the rewritten bytes have other batch boundaries.
import type { FileHandle, FileSystem } from '@samsa/runtime';
import { describe, expect, it } from 'vitest';
import { batchOf, decodeBatches, memoryEnv, open, readAll } from '../test/log-test-support.ts';

const T0 = 1_700_000_000_000;
const rec = (i: number, valueBytes = 40) => ({ key: `k${i}`, value: `v${i}-${'x'.repeat(valueBytes)}`, timestampMs: T0 + i });

/** Counts positional reads (calls and bytes asked for) on every handle. */
function countingReads(fs: FileSystem): { fs: FileSystem; reads: { calls: number; bytes: number } } {
  const reads = { calls: 0, bytes: 0 };
  const wrapHandle = (h: FileHandle): FileHandle =>
    new Proxy(h, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'read') {
          return (buffer: Uint8Array, position: number) => {
            reads.calls++;
            reads.bytes += buffer.byteLength;
            return target.read(buffer, position);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const wrapped = new Proxy(fs, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === 'open') return async (...args: Parameters<FileSystem['open']>) => wrapHandle(await target.open(...args));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { fs: wrapped, reads };
}

describe('sequential reads', () => {
  it('read each byte about once: one positional read per call', async () => {
    const { fs, clock } = memoryEnv();
    const counting = countingReads(fs);
    // Every batch gets an index entry (interval below one batch), the case that used to double the reads.
    const log = await open(counting.fs, clock, {}, { segmentBytes: 64 * 1024, indexIntervalBytes: 64 });
    for (let i = 0; i < 300; i++) await log.append(batchOf([rec(3 * i, 200), rec(3 * i + 1, 200), rec(3 * i + 2, 200)]));
    const total = log.sizeBytes;
    await log.read(0, 1); // loads the indices, so only record reads are counted below
    counting.reads.calls = 0;
    counting.reads.bytes = 0;

    let offset = 0;
    let calls = 0;
    const seen: number[] = [];
    for (let guard = 0; guard < 10_000 && offset < log.logEndOffset; guard++) {
      const { records } = await log.read(offset, 4096);
      const decoded = decodeBatches(records);
      seen.push(...decoded.records.map((r) => r.offset).filter((o) => o >= offset));
      offset = decoded.batches.at(-1)!.last + 1;
      calls++;
    }
    expect(seen).toEqual([...Array(900).keys()]);
    expect(counting.reads.calls).toBeLessThanOrEqual(calls + log.segmentCount);
    expect(counting.reads.bytes).toBeLessThan(total * 1.3);
    await log.close();
  });

  it('a truncation forgets where the last read ended; rewritten bytes read correctly', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { indexIntervalBytes: 64 });
    for (let i = 0; i < 20; i++) await log.append(batchOf([rec(i)]));
    // Read through offset 14 so the segment remembers "offset 15 starts here".
    let offset = 0;
    while (offset < 15) {
      const decoded = decodeBatches((await log.read(offset, 100, { maxOffset: 15 })).records);
      offset = decoded.batches.at(-1)!.last + 1;
    }
    await log.truncateTo(10);
    // New batches of other sizes: offset 15 now starts somewhere else.
    await log.append(batchOf([rec(10, 5), rec(11, 5), rec(12, 5)]));
    await log.append(batchOf([rec(13, 300), rec(14, 300), rec(15, 300), rec(16, 300)]));
    await log.append(batchOf([rec(17, 1)]));
    const from15 = decodeBatches((await log.read(15, 10_000)).records);
    expect(from15.records.filter((r) => r.offset >= 15).map((r) => r.value)).toEqual([rec(15, 300).value, rec(16, 300).value, rec(17, 1).value]);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(18).keys()]);
    await log.close();
  });
});
