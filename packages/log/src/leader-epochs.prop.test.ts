/**
 * Leader epochs of a log against a model (KIP-101/279): random leader appends in random
 * epochs (the epoch stays, or jumps up by 1–3, or after a truncation restarts at any
 * epoch ≥ the latest left in the log, as a follower promoted to leader would), follower
 * appends carrying the leader's epochs, truncations (`truncateTo`), clean restarts,
 * crashes (unsynced writes dropped, the last write torn) and a corrupt
 * `leader-epoch-checkpoint` at a clean or unclean reopen, on the memory file system.
 *
 * The model is the list of surviving records, each with the epoch it was appended in;
 * it knows nothing of the cache. Invariants, after every step:
 * - every batch read back carries the epoch it was appended in (stamped in place), and
 *   passes the codec's validation, CRC-32C included (the stamp is outside the CRC);
 * - `endOffsetForEpoch(e)` for every e from -1 to one past the highest epoch agrees with
 *   the model's answer: the latest epoch → (e, log end); an older one → the first offset
 *   of a record of a higher epoch, with the largest epoch ≤ e that has records (or e when
 *   none has); a newer one, -1, or an empty log → (-1, -1);
 * - the cache holds exactly one entry per run of epochs in the records, each starting at
 *   the first offset of its run: never an epoch or start offset above the log's content
 *   after a truncation or a crash;
 * - a leader append with an epoch below the latest in the log is refused
 *   (StaleLeaderEpochError) and changes nothing.
 */
import fc from 'fast-check';
import { batchBaseOffset, batchLastOffset, batchPartitionLeaderEpoch, nextBatchEnd, validateRecordBatch } from '@samsa/codec';
import type { MemoryFileSystem } from '@samsa/runtime/memory';
import type { ManualClock } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { batchOf, memoryEnv, open } from '../test/log-test-support.ts';
import { StaleLeaderEpochError } from './errors.ts';
import { LEADER_EPOCH_CHECKPOINT_FILE, LOG_CLEAN_SHUTDOWN_FILE } from './file-names.ts';
import type { Log } from './log.ts';
import type { EpochEndOffset } from './leader-epoch-cache.ts';

const T0 = 1_700_000_000_000;
const CONFIG = { segmentBytes: 1024, segmentIndexBytes: 96, indexIntervalBytes: 128 };
const UNDEFINED = { leaderEpoch: -1, endOffset: -1 };
const DIR = '/data/events-0';

type Op =
  | { readonly kind: 'append'; readonly records: number; readonly bump: number; readonly sync: boolean }
  | { readonly kind: 'follower'; readonly batches: readonly { readonly records: number; readonly bump: number }[] }
  | { readonly kind: 'truncate'; readonly where: number; readonly restartBump: number }
  | { readonly kind: 'stale' }
  | { readonly kind: 'restart' }
  | { readonly kind: 'corrupt-checkpoint'; readonly clean: boolean }
  | { readonly kind: 'crash'; readonly seed: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 4 }), bump: fc.constantFrom(0, 0, 1, 3), sync: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('follower' as const), batches: fc.array(fc.record({ records: fc.integer({ min: 1, max: 3 }), bump: fc.constantFrom(0, 1, 2) }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), where: fc.double({ min: 0, max: 1, noNaN: true }), restartBump: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stale' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('corrupt-checkpoint' as const), clean: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), seed: fc.integer({ min: 0, max: 1_000_000 }) }) },
);

/** The surviving records' epochs by offset (offsets start at 0: no DeleteRecords here). */
class EpochModel {
  epochs: number[] = [];
  /** Batch boundaries: [base, last] of each batch, in order. */
  batches: { base: number; last: number }[] = [];
  /** The epoch the next leader append is stamped with. */
  epoch = 0;
  /** Everything below it was acknowledged as synced. */
  durableEnd = 0;

  get end(): number {
    return this.epochs.length;
  }

  latest(): number | null {
    return this.epochs.length === 0 ? null : this.epochs[this.epochs.length - 1]!;
  }

  add(records: number, epoch: number): void {
    this.batches.push({ base: this.end, last: this.end + records - 1 });
    for (let i = 0; i < records; i++) this.epochs.push(epoch);
  }

  truncateTo(end: number): void {
    this.epochs.length = end;
    this.batches = this.batches.filter((b) => b.last < end);
    this.durableEnd = Math.min(this.durableEnd, end);
  }

  /** One entry per run of equal epochs (they never decrease along the log). */
  entries(): { epoch: number; startOffset: number }[] {
    const out: { epoch: number; startOffset: number }[] = [];
    this.epochs.forEach((e, offset) => {
      if (out[out.length - 1]?.epoch !== e) out.push({ epoch: e, startOffset: offset });
    });
    return out;
  }

  /** OffsetsForLeaderEpoch from the records alone (KIP-101/279 as Kafka answers it). */
  endOffsetFor(requested: number): EpochEndOffset {
    const latest = this.latest();
    if (requested < 0 || latest === null || requested > latest) return UNDEFINED;
    if (requested === latest) return { leaderEpoch: requested, endOffset: this.end };
    const endOffset = this.epochs.findIndex((e) => e > requested);
    const floor = this.epochs.filter((e) => e <= requested);
    return { leaderEpoch: floor.length === 0 ? requested : floor[floor.length - 1]!, endOffset };
  }
}

interface Real {
  readonly fs: MemoryFileSystem;
  readonly clock: ManualClock;
  log: Log;
}

function records(n: number, from: number) {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}-${'x'.repeat(20)}`, timestampMs: T0 + from + i }));
}

async function apply(op: Op, m: EpochModel, r: Real): Promise<void> {
  switch (op.kind) {
    case 'append': {
      m.epoch += op.bump;
      const result = await r.log.append(batchOf(records(op.records, m.end)), { leaderEpoch: m.epoch, requireSync: op.sync });
      expect(result.baseOffset).toBe(m.end);
      m.add(op.records, m.epoch);
      if (op.sync) m.durableEnd = m.end;
      return;
    }
    case 'follower': {
      // A leader's history continues ours: its epochs start at our latest and only rise.
      let epoch = Math.max(m.epoch, m.latest() ?? 0);
      const parts: Uint8Array[] = [];
      let base = m.end;
      for (const b of op.batches) {
        epoch += b.bump;
        parts.push(batchOf(records(b.records, base), { baseOffset: base, leaderEpoch: epoch }));
        m.add(b.records, epoch);
        base += b.records;
      }
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.byteLength;
      }
      await r.log.appendAsFollower(bytes);
      m.epoch = epoch;
      return;
    }
    case 'truncate': {
      if (m.end === 0) return;
      const target = Math.floor(op.where * m.end);
      await r.log.truncateTo(target);
      // Whole batches go: the end lands on the base of the batch holding the target.
      const expectedEnd = m.batches.find((b) => b.base <= target && target <= b.last)?.base ?? target;
      expect(r.log.logEndOffset).toBe(expectedEnd);
      m.truncateTo(expectedEnd);
      // The next leader (maybe this replica, promoted) leads at an epoch ≥ what is left.
      m.epoch = Math.max(m.latest() ?? 0, m.epoch - 2) + op.restartBump;
      return;
    }
    case 'stale': {
      const latest = m.latest();
      if (latest === null || latest === 0) return;
      const before = r.log.epochEntries();
      await expect(r.log.append(batchOf(records(1, m.end)), { leaderEpoch: latest - 1 })).rejects.toBeInstanceOf(StaleLeaderEpochError);
      expect(r.log.logEndOffset).toBe(m.end);
      expect(r.log.epochEntries()).toEqual(before);
      return;
    }
    case 'restart':
      await r.log.close();
      r.log = await open(r.fs, r.clock, {}, CONFIG);
      expect(r.log.logEndOffset).toBe(m.end);
      m.durableEnd = m.end;
      return;
    case 'corrupt-checkpoint': {
      // Closed (cleanly, or the marker removed: recovery scans from the recovery point), then
      // the checkpoint is garbage: the history must come back whole from the batches.
      await r.log.close();
      if (!op.clean) await r.fs.remove(`${DIR}/${LOG_CLEAN_SHUTDOWN_FILE}`);
      const h = await r.fs.open(`${DIR}/${LEADER_EPOCH_CHECKPOINT_FILE}`, 'read-write', { truncate: true });
      await h.write(new TextEncoder().encode('0\n3\n1 0\n'), 0);
      await h.close();
      r.log = await open(r.fs, r.clock, {}, CONFIG);
      expect(r.log.logEndOffset).toBe(m.end);
      m.durableEnd = m.end;
      return;
    }
    case 'crash': {
      r.fs.crash({ tear: { seed: op.seed, mode: 'last' } });
      await r.log.close().catch(() => undefined);
      r.log = await open(r.fs, r.clock, {}, CONFIG);
      const end = r.log.logEndOffset;
      expect(end).toBeGreaterThanOrEqual(m.durableEnd);
      expect(end === m.end || m.batches.some((b) => b.base === end)).toBe(true);
      m.truncateTo(end);
      m.durableEnd = Math.min(r.log.recoveryPoint, end);
      return;
    }
  }
}

async function check(m: EpochModel, log: Log): Promise<void> {
  expect(log.logEndOffset).toBe(m.end);
  expect(log.epochEntries()).toEqual(m.entries());
  const top = (m.latest() ?? 0) + 2;
  for (let e = -1; e <= top; e++) expect({ e, answer: log.endOffsetForEpoch(e) }).toEqual({ e, answer: m.endOffsetFor(e) });
  if (m.end === 0) return;
  let batches = 0;
  // A read may stop at a segment's end; each one moves on by at least one batch.
  for (let offset = 0; offset < m.end && batches <= m.batches.length; ) {
    const bytes = (await log.read(offset, 1 << 20)).records;
    expect(bytes.byteLength).toBeGreaterThan(0);
    for (let pos = 0; pos < bytes.byteLength; ) {
      const end = nextBatchEnd(bytes, pos);
      expect(end).toBeGreaterThan(pos);
      expect(validateRecordBatch(bytes, pos, end)).toBeNull();
      const base = batchBaseOffset(bytes, pos);
      expect(base).toBe(offset);
      expect({ base, epoch: batchPartitionLeaderEpoch(bytes, pos) }).toEqual({ base, epoch: m.epochs[base] });
      offset = batchLastOffset(bytes, pos) + 1;
      expect(m.epochs[offset - 1]).toBe(m.epochs[base]);
      batches++;
      pos = end;
    }
  }
  expect(batches).toBe(m.batches.length);
}

describe('leader epochs (model, memory FS, crashes)', () => {
  it('stamps, caches and answers OffsetsForLeaderEpoch like the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const { fs, clock } = memoryEnv();
        const real: Real = { fs, clock, log: await open(fs, clock, {}, CONFIG) };
        const model = new EpochModel();
        for (const op of ops) {
          await apply(op, model, real);
          await check(model, real.log);
        }
        await real.log.close();
      }),
      { numRuns: 150 },
    );
  });
});
