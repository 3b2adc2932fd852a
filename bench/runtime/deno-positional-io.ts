/**
 * What the @samsa/runtime/deno file adapter costs over raw Deno.FsFile calls, for the
 * common case of issue 12 item 8: sequential 4 KiB positional writes (a segment being
 * appended to at its end) and sequential 4 KiB positional reads (a consumer reading on),
 * measured in one run. For each, three figures:
 * - after: the adapter (`DenoFileSystem` write/read at the position where the last op ended);
 * - before: the same adapter with its offset cache cleared before every op, which is
 *   the adapter before the cache (a seek before every write/read);
 * - baseline: a raw `Deno.FsFile` write/read loop, no seek.
 * The three alternate over `trials` (the VM is noisy); each prints the median trial.
 * Run: npm run bench -- deno-positional-io
 */
import { measure, report, type Measurement } from '@samsa/bench';
import type { FileHandle } from '@samsa/runtime';
import { DenoFileSystem, makeTempDir } from '@samsa/runtime/deno';

/** The part of Deno.FsFile used here (this file type-checks under Node's tsc too). */
interface RawFile {
  write(data: Uint8Array): Promise<number>;
  read(buffer: Uint8Array): Promise<number | null>;
  seek(offset: number, whence: 0 | 1 | 2): Promise<number>;
  truncate(length?: number): Promise<void>;
  close(): void;
}
interface RawDeno {
  open(path: string, options: { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean }): Promise<RawFile>;
}
const rawDeno = (globalThis as unknown as { Deno: RawDeno }).Deno;

const blockBytes = 4096;
const blocksPerRound = 4096; // 16 MiB per round
const roundBytes = blockBytes * blocksPerRound;
const block = new Uint8Array(blockBytes).fill(5);
const rounds = { rounds: 3, warmupRounds: 1 };
const trials = 5;

type Variant = 'after' | 'before' | 'baseline';

/** Runs each variant `trials` times, alternating, and reports the median trial of each. */
async function compare(label: string, run: (variant: Variant) => Promise<Measurement>): Promise<void> {
  const results: Record<Variant, Measurement[]> = { after: [], before: [], baseline: [] };
  for (let t = 0; t < trials; t++) {
    for (const v of ['after', 'before', 'baseline'] as const) results[v].push(await run(v));
  }
  const median = (list: Measurement[]): Measurement => [...list].sort((a, b) => a.perSecond - b.perSecond)[list.length >> 1]!;
  console.log(`-- ${label}`);
  report(median(results.after), median(results.baseline));
  report(median(results.before), median(results.baseline));
}

/** Forgets the handle's cached file offset (the adapter before the cache seeked every op). */
function forgetPosition(handle: FileHandle): void {
  (handle as unknown as { positionBytes: number | null }).positionBytes = null;
}

async function writeAll(file: RawFile, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.byteLength; ) done += await file.write(data.subarray(done));
}

async function benchWrites(dir: string): Promise<void> {
  const fs = new DenoFileSystem();
  const h = await fs.open(`${dir}/adapter-w`, 'read-write', { truncate: true });
  const raw = await rawDeno.open(`${dir}/raw-w`, { read: true, write: true, create: true, truncate: true });
  await compare('sequential 4 KiB positional writes (16 MiB per round, truncated first)', (v) => {
    if (v === 'baseline') {
      return measure({ name: 'FsFile.write loop', unit: 'B', unitsPerRound: roundBytes, ...rounds }, async () => {
        await raw.truncate(0);
        await raw.seek(0, 0);
        for (let i = 0; i < blocksPerRound; i++) await writeAll(raw, block);
      });
    }
    const name = v === 'after' ? 'DenoFileSystem.write (offset cached)' : 'DenoFileSystem.write (seek every op)';
    return measure({ name, unit: 'B', unitsPerRound: roundBytes, ...rounds }, async () => {
      await h.truncate(0);
      for (let i = 0; i < blocksPerRound; i++) {
        if (v === 'before') forgetPosition(h);
        await h.write(block, i * blockBytes);
      }
    });
  });
  await h.close();
  raw.close();
}

async function benchReads(dir: string): Promise<void> {
  const path = `${dir}/source`;
  const fs = new DenoFileSystem();
  const w = await fs.open(path, 'read-write', { truncate: true });
  for (let i = 0; i < blocksPerRound; i++) await w.write(block, i * blockBytes);
  await w.close();
  const buffer = new Uint8Array(blockBytes);
  const h = await fs.open(path, 'read');
  const raw = await rawDeno.open(path, { read: true });
  await compare('sequential 4 KiB positional reads (16 MiB per round, page cache)', (v) => {
    if (v === 'baseline') {
      return measure({ name: 'FsFile.read loop', unit: 'B', unitsPerRound: roundBytes, ...rounds }, async () => {
        await raw.seek(0, 0);
        for (let i = 0; i < blocksPerRound; i++) await raw.read(buffer);
      });
    }
    const name = v === 'after' ? 'DenoFileSystem.read (offset cached)' : 'DenoFileSystem.read (seek every op)';
    return measure({ name, unit: 'B', unitsPerRound: roundBytes, ...rounds }, async () => {
      for (let i = 0; i < blocksPerRound; i++) {
        if (v === 'before') forgetPosition(h);
        await h.read(buffer, i * blockBytes);
      }
    });
  });
  await h.close();
  raw.close();
}

const dir = await makeTempDir('samsa-bench-deno-io-');
try {
  await benchWrites(dir);
  await benchReads(dir);
} finally {
  await new DenoFileSystem().remove(dir, { recursive: true });
}
