/**
 * Model-based test of the whole log on the memory file system (fc.commands against a list
 * of records; see test/log-model.ts). Commands: append (random batch sizes, keys,
 * timestamps; sync or not), concurrent appends (group commit), read at random offsets and
 * sizes, roll, truncateTo, truncateFullyAndStartAt, deleteRecordsBefore, flush, clock
 * advance (time-based roll, interval flush, delayed deletion), reconfigure (segment size
 * and age, index interval and flush policy changed on the open log), clean restart, and
 * crash (unsynced writes dropped, last write torn at a seeded byte) then reopen.
 *
 * Invariants:
 * - every append acknowledged as synced (and everything flushed) survives a crash, and
 *   under the policy in force (after any reconfigure) every-append acknowledges synced;
 * - offsets are dense and monotonic: each append starts at the previous log end;
 * - a read never returns a torn or invalid batch (every batch passes CRC validation) and
 *   returns the model's records from the requested offset;
 * - the leader-epoch cache equals the model's after every crash and at the end;
 * - after every run, the log equals the model and every index entry agrees with its segment.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { flushPolicyFromKafka } from './flush-policy.ts';
import { memoryEnv, open } from '../test/log-test-support.ts';
import { LogModel, checkIndexesAgree, checkLogAgainstModel, coreCommands, type RealLog } from '../test/log-model.ts';

describe('Log model (memory FS, crashes with torn writes)', () => {
  it('behaves like a list of records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands(coreCommands(), { maxCommands: 40 }),
        fc.constantFrom(flushPolicyFromKafka(), flushPolicyFromKafka(1), flushPolicyFromKafka(5), flushPolicyFromKafka(undefined, 1000)),
        fc.constantFrom(64, 256, 2048),
        async (cmds, flushPolicy, indexIntervalBytes) => {
          const { fs, clock } = memoryEnv();
          const config = { segmentBytes: 2048, segmentIndexBytes: 96, indexIntervalBytes, segmentMs: 5000, flushPolicy };
          const real: RealLog = { fs, clock, log: await open(fs, clock, {}, config), config };
          const model = new LogModel();
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await checkLogAgainstModel(model, real);
          await checkIndexesAgree(real.log, fs);
          await real.log.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
