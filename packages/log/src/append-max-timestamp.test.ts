// Issue 11, defect C at the log level: a leader append of a batch whose header says
// maxTimestamp = -1 (its records carry real timestamps) stores the real max, so the time
// index, the segment's largest timestamp (time-based retention) and offsetForTimestamp see
// the batch. A follower append keeps the leader's bytes exactly.
import { describe, expect, it } from 'vitest';
import { batchMaxTimestamp, computeBatchCrc } from '@samsa/codec';
import { batchOf, memoryEnv, open } from '../test/log-test-support.ts';

const T0 = 1_700_000_000_000;

/** Three records at T0 + first, +1, +2, with the header's maxTimestamp set to -1 and the CRC made valid. */
function headerSaysNoTimestamp(first: number, baseOffset = 0): Uint8Array {
  const b = batchOf([0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestampMs: T0 + first + i })), { baseOffset });
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  view.setBigInt64(35, -1n);
  view.setUint32(17, computeBatchCrc(b, 0));
  return b;
}

describe('leader append recomputes maxTimestamp (create time)', () => {
  it('the time index entry, the largest timestamp and offsetForTimestamp reflect the real max', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { indexIntervalBytes: 0 });
    await log.append(batchOf([0, 1, 2].map((i) => ({ key: `a${i}`, value: 'a', timestampMs: T0 + i }))));
    const r = await log.append(headerSaysNoTimestamp(100));
    expect(r).toMatchObject({ baseOffset: 3, lastOffset: 5, maxTimestamp: T0 + 102, offsetOfMaxTimestamp: 5 });
    const segment = log.segmentsSnapshot()[0]!;
    // The second batch added an index entry (index.interval.bytes=0) with the max so far.
    expect((await segment.timeIndex()).lastEntry).toEqual({ timestamp: T0 + 102, offset: 5 });
    expect(await segment.largestTimestamp()).toBe(T0 + 102);
    expect(await log.offsetForTimestamp(T0 + 50)).toMatchObject({ offset: 3, timestamp: T0 + 100 });
    expect(await log.offsetForTimestamp(-3)).toMatchObject({ timestamp: T0 + 102 });
    const stored = (await log.read(3, 1 << 16)).records;
    expect(batchMaxTimestamp(stored, 0)).toBe(T0 + 102);
    await log.close();

    // Reopened, the index and the largest timestamp come from the stored (corrected) header.
    const reopened = await open(fs, clock, {}, { indexIntervalBytes: 0 });
    expect(await reopened.segmentsSnapshot()[0]!.largestTimestamp()).toBe(T0 + 102);
    expect(await reopened.offsetForTimestamp(T0 + 50)).toMatchObject({ offset: 3 });
    await reopened.close();
  });

  it('a follower append keeps the leader bytes as they are', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, {});
    const bytes = headerSaysNoTimestamp(0);
    const copy = bytes.slice();
    await log.appendAsFollower(bytes);
    expect((await log.read(0, 1 << 16)).records).toEqual(copy);
    await log.close();
  });
});
