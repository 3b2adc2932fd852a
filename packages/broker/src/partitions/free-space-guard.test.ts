// FreeSpaceGuard: the threshold (auto = min(256 MiB, 5%), 0 = off, explicit), one free-space
// reading per check interval however many writes ask, appended bytes counted against the
// reading, a failed write forcing a re-read, 'unknown' never refusing.
import type { FileSystem, FreeSpace } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.ts';
import { FreeSpaceGuard } from './free-space-guard.ts';

const GiB = 1024 * 1024 * 1024;

/** A file system whose free space the test sets, counting the readings. */
function fakeFs(space: { value: FreeSpace }): { fs: FileSystem; readings: () => number } {
  let readings = 0;
  const fs = new MemoryFileSystem();
  const freeSpace = async (): Promise<FreeSpace> => {
    readings++;
    return space.value;
  };
  return { fs: new Proxy(fs, { get: (t, k) => (k === 'freeSpace' ? freeSpace : Reflect.get(t, k)) }), readings: () => readings };
}

function guard(fs: FileSystem, clock: ManualClock, freeBytesMin: number): FreeSpaceGuard {
  return new FreeSpaceGuard({ fs, clock, logDir: '/', freeBytesMin, checkIntervalMs: 1000, logger: silentLogger });
}

describe('FreeSpaceGuard', () => {
  it('auto threshold: 5% of a small volume, 256 MiB of a big one', async () => {
    const clock = new ManualClock();
    const space = { value: { freeBytes: 1_000_000, totalBytes: 16 * 1024 * 1024 } as FreeSpace };
    const small = guard(fakeFs(space).fs, clock, -1);
    expect(await small.admitsWrites()).toBe(true);
    expect(small.state()).toMatchObject({ freeBytes: 1_000_000, freeBytesMin: 838_860, writesRefused: false });
    small.noteAppended(200_000);
    expect(await small.admitsWrites()).toBe(false);
    space.value = { freeBytes: 2 * GiB, totalBytes: 1000 * GiB };
    const big = guard(fakeFs(space).fs, clock, -1);
    expect(await big.admitsWrites()).toBe(true);
    expect(big.state().freeBytesMin).toBe(GiB / 4);
    space.value = { freeBytes: GiB / 4 - 1, totalBytes: 1000 * GiB };
    clock.advance(1000);
    expect(await big.admitsWrites()).toBe(false);
    expect(big.state()).toMatchObject({ writesRefused: true, writesRefusedTotal: 1 });
  });

  it('reads the free space once per check interval, counting appended bytes in between', async () => {
    const clock = new ManualClock();
    const space = { value: { freeBytes: 10_000, totalBytes: 100_000 } as FreeSpace };
    const { fs, readings } = fakeFs(space);
    const g = guard(fs, clock, 4000);
    const many = await Promise.all(Array.from({ length: 50 }, () => g.admitsWrites()));
    expect(many.every((ok) => ok)).toBe(true);
    expect(readings()).toBe(1);
    g.noteAppended(5000);
    expect(await g.admitsWrites()).toBe(true);
    g.noteAppended(1500);
    expect(await g.admitsWrites()).toBe(false); // 10,000 - 6,500 < 4,000, before any new reading
    expect(readings()).toBe(1);
    clock.advance(1000);
    expect(await g.admitsWrites()).toBe(true); // the new reading still says 10,000 free
    expect(readings()).toBe(2);
    g.noteWriteFailed();
    expect(await g.admitsWrites()).toBe(true);
    expect(readings()).toBe(3);
  });

  it('never refuses when off (0) or when the runtime cannot tell', async () => {
    const clock = new ManualClock();
    const full = { value: { freeBytes: 0, totalBytes: 100 } as FreeSpace };
    const off = guard(fakeFs(full).fs, clock, 0);
    expect(await off.admitsWrites()).toBe(true);
    const unknown = { value: 'unknown' as FreeSpace };
    const blind = guard(fakeFs(unknown).fs, clock, -1);
    expect(await blind.admitsWrites()).toBe(true);
    expect(blind.state()).toMatchObject({ freeBytes: null, freeBytesMin: 0, writesRefused: false });
  });

  it('a deletion treats the disk as low after a failed write, or below the auto threshold even when off', async () => {
    const clock = new ManualClock();
    const space = { value: { freeBytes: 50_000_000, totalBytes: 100_000_000 } as FreeSpace };
    const g = guard(fakeFs(space).fs, clock, 0);
    expect(await g.isLowOnSpace()).toBe(false);
    g.noteWriteFailed();
    expect(await g.isLowOnSpace()).toBe(true);
    g.noteAppended(10);
    expect(await g.isLowOnSpace()).toBe(false);
    space.value = { freeBytes: 1_000_000, totalBytes: 100_000_000 };
    expect(await g.isLowOnSpace()).toBe(true);
  });
});
