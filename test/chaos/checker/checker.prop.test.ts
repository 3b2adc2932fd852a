// Property tests of the checker against model runs (model-run.ts): producers writing unique
// values with random outcomes (ok / fail / info / no completion, written or not), consumer
// generations polling contiguous ranges (rewound after rebalances) and committing.
// Invariants:
// - a consistent run (history + final read derived from one model log) is safe, reports no
//   finding of any class (unseen included), and counts every send outcome exactly;
// - the verdict does not depend on the order the history files are given in;
// - one planted defect of each kind (plant-defect.ts: an acked value dropped from the final
//   read, a value duplicated, two values' offsets swapped, a poll going backwards, an offset
//   skipped, a producer's two acks reordered, a commit regressing, a never-sent value) makes
//   the run unsafe and is reported as its class — as exactly that class, except a swap,
//   which polls may also see as duplicates.
// A failure prints fast-check's seed and path; FC_SEED replays it (test/setup/fast-check-seed.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeHistories, parseHistoryText } from './history.ts';
import { cloneRun, deriveRun, historyTexts, modelParams, toFinalRead, toHistory } from './model-run.ts';
import { DEFECT_KINDS, plantDefect } from './plant-defect.ts';
import { check } from './report.ts';

describe('checker properties on model runs', () => {
  it('a consistent run is safe and counted exactly', () => {
    fc.assert(
      fc.property(modelParams, (params) => {
        const run = deriveRun(params);
        const report = check(toHistory(run), toFinalRead(run));
        for (const [name, found] of Object.entries(report.anomalies)) expect(found.count, name).toBe(0);
        expect(report.safe).toBe(true);
        const fates = params.sends.map((s) => s.fate);
        expect(report.counts.sends.ok).toBe(fates.filter((f) => f === 'ok').length);
        expect(report.counts.sends.fail).toBe(fates.filter((f) => f === 'fail').length);
        expect(report.counts.sends.info).toBe(fates.filter((f) => f.startsWith('info')).length);
        expect(report.counts.sends.indeterminate).toBe(fates.filter((f) => f.startsWith('crash')).length);
      }),
    );
  });

  it('the verdict does not depend on the order of the history files', () => {
    fc.assert(
      fc.property(modelParams, fc.nat(), fc.nat(DEFECT_KINDS.length - 1), (params, pick, kind) => {
        const run = deriveRun(params);
        plantDefect(run, DEFECT_KINDS[kind]!, pick);
        const files = [...historyTexts(run)].map(([file, text]) => parseHistoryText(text, file));
        const rotated = [...files.slice(pick % files.length), ...files.slice(0, pick % files.length)].reverse();
        const counts = (r: ReturnType<typeof check>) => Object.values(r.anomalies).map((c) => c.count);
        const final = toFinalRead(run);
        expect(counts(check(mergeHistories(rotated), final))).toEqual(counts(check(mergeHistories(files), final)));
      }),
    );
  });

  for (const kind of DEFECT_KINDS) {
    it(`a planted ${kind} is flagged`, () => {
      fc.assert(
        fc.property(modelParams, fc.nat(), (params, pick) => {
          const run = cloneRun(deriveRun(params));
          const planted = plantDefect(run, kind, pick);
          fc.pre(planted !== undefined);
          const report = check(toHistory(run), toFinalRead(run));
          expect(report.safe).toBe(false);
          if (kind === 'inconsistentOffset') expect(report.unsafeClasses).toContain(kind);
          else expect(report.unsafeClasses).toEqual([kind]);
          const example = report.anomalies[kind].examples[0];
          if (kind !== 'inconsistentOffset' && planted!.match !== undefined) expect(example).toMatchObject(planted!.match);
          if (kind !== 'inconsistentOffset') for (const v of planted!.values) expect(JSON.stringify(report.anomalies[kind].examples)).toContain(JSON.stringify(v));
        }),
      );
    });
  }
});
