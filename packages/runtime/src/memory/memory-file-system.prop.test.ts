/**
 * Property tests of the memory file system's crash model against a plain-array model.
 *
 * Invariants checked, for random sequences of appends, positional writes, truncates and
 * syncs on one file followed by crash():
 * 1. Before the crash, reads return exactly the model's current content.
 * 2. crash() without tear leaves exactly the synced content: every synced byte kept,
 *    every unsynced byte dropped.
 * 3. crash({ tear, mode: 'last' }) leaves the synced content with a prefix of the last
 *    unsynced write applied on top (or the last truncate applied or not), nothing else.
 * 4. crash({ tear, mode: 'prefix' }) leaves the synced content with the first k unsynced
 *    operations applied and a prefix of operation k+1: a byte-level cut of the history.
 * 5. The same state and tear seed give the same result.
 * 6. failOn({ op, nth }) fails exactly the nth matching operation, and a failed operation
 *    changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileSystemError } from '../file-system.ts';
import type { FaultOp } from './fault-plan.ts';
import { MemoryFileSystem } from './memory-file-system.ts';

type Op =
  | { kind: 'append'; bytes: number[] }
  | { kind: 'write'; position: number; bytes: number[] }
  | { kind: 'truncate'; sizeBytes: number }
  | { kind: 'sync' };

const byteArray = fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 0, maxLength: 24 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), bytes: byteArray }),
  fc.record({ kind: fc.constant('write' as const), position: fc.nat(80), bytes: byteArray }),
  fc.record({ kind: fc.constant('truncate' as const), sizeBytes: fc.nat(80) }),
  fc.constant({ kind: 'sync' as const }),
);

/** An unsynced change as the model sees it: a write at a position or a truncate. */
type Change = { kind: 'write'; position: number; bytes: number[] } | { kind: 'truncate'; sizeBytes: number };

function apply(content: number[], change: Change): number[] {
  const out = content.slice();
  if (change.kind === 'truncate') {
    out.length = Math.min(out.length, change.sizeBytes);
    while (out.length < change.sizeBytes) out.push(0);
    return out;
  }
  if (change.bytes.length === 0) return out; // pwrite of nothing does not extend the file
  while (out.length < change.position) out.push(0);
  change.bytes.forEach((b, i) => (out[change.position + i] = b));
  return out;
}

/** Every content a torn crash may leave: `base` plus a byte prefix of `change`. */
function tornVariants(base: number[], change: Change): number[][] {
  if (change.kind === 'truncate') return [base, apply(base, change)];
  const out: number[][] = [];
  for (let cut = 0; cut <= change.bytes.length; cut++) {
    out.push(cut === 0 ? base : apply(base, { kind: 'write', position: change.position, bytes: change.bytes.slice(0, cut) }));
  }
  return out;
}

async function run(ops: Op[]): Promise<{ fs: MemoryFileSystem; durable: number[]; pending: Change[] }> {
  const fs = new MemoryFileSystem({ metadataDurability: 'immediate' });
  const f = await fs.open('/f', 'read-write');
  let current: number[] = [];
  let durable: number[] = [];
  let pending: Change[] = [];
  for (const op of ops) {
    if (op.kind === 'sync') {
      await f.sync();
      durable = current;
      pending = [];
      continue;
    }
    let change: Change;
    if (op.kind === 'append') {
      change = { kind: 'write', position: current.length, bytes: op.bytes };
      await f.append(Uint8Array.from(op.bytes));
    } else if (op.kind === 'write') {
      change = op;
      await f.write(Uint8Array.from(op.bytes), op.position);
    } else {
      change = op;
      await f.truncate(op.sizeBytes);
    }
    current = apply(current, change);
    if (change.kind === 'truncate' || change.bytes.length > 0) pending.push(change);
  }
  expect(Array.from(await fs.readFile('/f'))).toEqual(current);
  return { fs, durable, pending };
}

const contains = (candidates: number[][], actual: number[]): boolean =>
  candidates.some((c) => c.length === actual.length && c.every((b, i) => b === actual[i]));

describe('MemoryFileSystem crash model (property)', () => {
  it('crash without tear keeps exactly the synced bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        const { fs, durable } = await run(ops);
        fs.crash();
        expect(Array.from(await fs.readFile('/f'))).toEqual(durable);
      }),
    );
  });

  it("crash with tear 'last' keeps the synced bytes plus a prefix of the last unsynced write", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), fc.nat(), async (ops, seed) => {
        const { fs, durable, pending } = await run(ops);
        fs.crash({ tear: { seed, mode: 'last' } });
        const actual = Array.from(await fs.readFile('/f'));
        const last = pending[pending.length - 1];
        const candidates = last ? tornVariants(durable, last) : [durable];
        expect(contains(candidates, actual)).toBe(true);
      }),
    );
  });

  it("crash with tear 'prefix' keeps the synced bytes plus a byte-level cut of the unsynced history", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), fc.nat(), async (ops, seed) => {
        const { fs, durable, pending } = await run(ops);
        const again = await run(ops);
        fs.crash({ tear: { seed, mode: 'prefix' } });
        again.fs.crash({ tear: { seed, mode: 'prefix' } });
        const actual = Array.from(await fs.readFile('/f'));
        expect(Array.from(await again.fs.readFile('/f'))).toEqual(actual);
        const candidates: number[][] = [durable];
        let base = durable;
        for (const change of pending) {
          candidates.push(...tornVariants(base, change));
          base = apply(base, change);
        }
        expect(contains(candidates, actual)).toBe(true);
      }),
    );
  });

  it('failOn fails exactly the nth matching operation and the failure has no effect', async () => {
    const faultOps: FaultOp[] = ['append', 'write', 'truncate', 'sync', 'read'];
    type Step = { op: (typeof faultOps)[number]; value: number };
    const stepArb = fc.record({ op: fc.constantFrom(...faultOps), value: fc.integer({ min: 0, max: 40 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 25 }), fc.constantFrom(...faultOps, 'any' as const), fc.integer({ min: 1, max: 10 }), async (steps: Step[], target, nth) => {
        const fs = new MemoryFileSystem();
        const f = await fs.open('/f', 'read-write');
        fs.failOn({ op: target, nth, code: 'io' });
        let seen = 0;
        let content: number[] = [];
        for (const step of steps) {
          const matches = target === 'any' || target === step.op;
          if (matches) seen++;
          const shouldFail = matches && seen === nth;
          let next = content;
          let failed = false;
          try {
            if (step.op === 'append') {
              await f.append(Uint8Array.of(step.value + 1));
              next = apply(content, { kind: 'write', position: content.length, bytes: [step.value + 1] });
            } else if (step.op === 'write') {
              await f.write(Uint8Array.of(7, 8), step.value);
              next = apply(content, { kind: 'write', position: step.value, bytes: [7, 8] });
            } else if (step.op === 'truncate') {
              await f.truncate(step.value);
              next = apply(content, { kind: 'truncate', sizeBytes: step.value });
            } else if (step.op === 'sync') {
              await f.sync();
            } else {
              await f.read(new Uint8Array(4), step.value);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(FileSystemError);
            expect((error as FileSystemError).code).toBe('io');
            failed = true;
          }
          expect(failed).toBe(shouldFail);
          if (!failed) content = next;
        }
        fs.clearFaults();
        expect(Array.from(await fs.readFile('/f'))).toEqual(content);
      }),
    );
  });
});
