/**
 * Property test of directory-entry durability in the memory file system, against a model
 * of two maps (current entries, entries as of the last syncDir).
 *
 * Invariants, for random sequences of create / rename / remove / syncDir / crash in one
 * directory (file contents are synced at creation, so only entries are in question):
 * 1. readDir always lists exactly the model's current names, sorted.
 * 2. After crash() the directory holds exactly the entries of its last syncDir, each
 *    naming the file it named then (a rename is atomic: old or new, never neither/both
 *    unless the syncs said so).
 * 3. Operations after a crash behave as on a fresh disk holding that state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from './memory-file-system.ts';

type Step =
  | { kind: 'create'; name: string }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'remove'; name: string }
  | { kind: 'syncDir' }
  | { kind: 'crash' };

const nameArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), name: nameArb }),
  fc.record({ kind: fc.constant('rename' as const), from: nameArb, to: nameArb }),
  fc.record({ kind: fc.constant('remove' as const), name: nameArb }),
  fc.constant({ kind: 'syncDir' as const }),
  fc.constant({ kind: 'crash' as const }),
);

describe('MemoryFileSystem directory durability (property)', () => {
  it('after a crash a directory holds exactly its entries as of the last syncDir', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), async (steps) => {
        const fs = new MemoryFileSystem();
        await fs.mkdirp('/d');
        await fs.syncDir('/');
        let current = new Map<string, number>();
        let durable = new Map<string, number>();
        let nextId = 1;
        for (const step of steps) {
          if (step.kind === 'create') {
            if (current.has(step.name)) continue;
            const id = nextId++;
            const f = await fs.open(`/d/${step.name}`, 'append', { exclusive: true });
            await f.append(Uint8Array.of(id));
            await f.sync();
            await f.close();
            current.set(step.name, id);
          } else if (step.kind === 'rename') {
            const id = current.get(step.from);
            if (id === undefined) continue;
            await fs.rename(`/d/${step.from}`, `/d/${step.to}`);
            current.delete(step.from);
            current.set(step.to, id);
          } else if (step.kind === 'remove') {
            await fs.remove(`/d/${step.name}`);
            current.delete(step.name);
          } else if (step.kind === 'syncDir') {
            await fs.syncDir('/d');
            durable = new Map(current);
          } else {
            fs.crash();
            current = new Map(durable);
          }
          expect(await fs.readDir('/d')).toEqual([...current.keys()].sort());
        }
        fs.crash();
        expect(await fs.readDir('/d')).toEqual([...durable.keys()].sort());
        for (const [name, id] of durable) expect(Array.from(await fs.readFile(`/d/${name}`))).toEqual([id]);
      }),
    );
  });
});
