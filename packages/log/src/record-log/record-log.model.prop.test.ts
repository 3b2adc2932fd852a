/**
 * The record log against a model, with power losses: random steps of appends (1-5
 * records, concurrent groups of them, each with a random durability), cursor commits,
 * crashes (the memory file system drops every unsynced byte, or keeps a random prefix of
 * them with `tear`) and reopens.
 *
 * The model is the list of values appended at each offset. After every reopen:
 * - the log holds exactly the model's first L records, offset for offset, byte for byte,
 *   for some L (a crash loses a suffix, never a middle record, never reorders);
 * - L covers every append acknowledged with 'fsync' before the crash;
 * - every cursor holds its last acknowledged commit (commits are atomic and durable);
 * - the next append gets offset L.
 * Without a crash, every acknowledged append of any durability is readable.
 */
import fc from 'fast-check';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { Durability } from './log-record.ts';
import { openRecordLog } from './record-log.ts';
import type { RecordLog } from './record-log.ts';
import { stringSerde } from './serde.ts';

type Step =
  | { readonly kind: 'append'; readonly groups: readonly { readonly count: number; readonly durability: Durability }[] }
  | { readonly kind: 'commit'; readonly cursor: 'a' | 'b'; readonly fraction: number }
  | { readonly kind: 'crash'; readonly tearSeed: number | null }
  | { readonly kind: 'read' };

const durability = fc.constantFrom<Durability>('none', 'os', 'fsync');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), groups: fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), durability }), { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), cursor: fc.constantFrom<'a' | 'b'>('a', 'b'), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), tearSeed: fc.option(fc.integer(), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const) }) },
);

async function open(fs: MemoryFileSystem, clock: ManualClock): Promise<RecordLog<string, string>> {
  return openRecordLog<string, string>('/app/log', { runtime: { fs, clock }, keySerde: stringSerde, valueSerde: stringSerde, segmentBytes: 700, maintenanceIntervalMs: 0 });
}

async function contents(log: RecordLog<string, string>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of log.stream()) {
    expect(r.offset).toBe(out.length);
    out.push(r.value!);
  }
  return out;
}

describe('RecordLog against a model with power losses', () => {
  it('keeps a prefix of what was appended, every fsync-acked append, and every acked cursor commit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const clock = new ManualClock({ startWallMs: 1_700_000_000_000 });
        let fs = new MemoryFileSystem({ clock });
        let log = await open(fs, clock);
        let model: string[] = [];
        let fsyncAcked = 0; // records [0, fsyncAcked) were acknowledged with fsync (or before it, in order)
        const committed = new Map<string, number>();
        let serial = 0;
        for (const s of steps) {
          if (s.kind === 'append') {
            const pending = s.groups.map((g) => {
              const values = Array.from({ length: g.count }, () => `v${serial++}-${'p'.repeat(serial % 17)}`);
              const base = model.length;
              model = [...model, ...values];
              return log.append(values.map((value) => ({ key: `k${serial % 3}`, value })), { durability: g.durability }).then((acks) => {
                expect(acks.map((a) => a.offset)).toEqual(values.map((_, i) => base + i));
                if (g.durability === 'fsync') fsyncAcked = Math.max(fsyncAcked, base + values.length);
              });
            });
            await Promise.all(pending);
          } else if (s.kind === 'commit') {
            const offset = Math.floor(s.fraction * model.length);
            const current = committed.get(s.cursor) ?? 0;
            await log.cursor(s.cursor).commit(Math.max(current, offset));
            committed.set(s.cursor, Math.max(current, offset));
          } else if (s.kind === 'read') {
            await log.flush();
            expect(await contents(log)).toEqual(model);
          } else {
            // Power loss: the machine after the crash is a crashed copy of the disk. The old
            // process is gone; it must not write into the new world (a 'none' append still in
            // its queue would otherwise roll a segment there after the crash), so it keeps
            // the old, crashed file system to itself and is never touched again.
            const next = fs.clone();
            next.crash(s.tearSeed === null ? {} : { tear: { seed: s.tearSeed } });
            fs.crash();
            fs = next;
            log = await open(fs, clock);
            const after = await contents(log);
            expect(after.length).toBeGreaterThanOrEqual(fsyncAcked);
            expect(after).toEqual(model.slice(0, after.length));
            for (const [name, offset] of committed) expect(await log.cursor(name).committed()).toBe(offset);
            model = after;
            fsyncAcked = after.length;
            expect(log.endOffset).toBe(after.length);
          }
        }
        await log.flush();
        expect(await contents(log)).toEqual(model);
        await log.close();
      }),
      { numRuns: 60 },
    );
  });
});
