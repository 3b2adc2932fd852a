/**
 * Committed-offset regressions (definition in test/chaos/README.md, "Checker"): within one
 * group, one consumer process and one generation, a successful commit for a partition lower
 * than an earlier successful one. "Earlier" is the order of the ok completions on the merged
 * time axis (the broker acknowledged them in that order). A commit's offsets are those of its
 * ok line, or of its invoke when the ok line names none. Commits of different generations
 * never compare: a new generation may legitimately restart from an older position. Commits of
 * different processes never compare either: a client that does not expose the group's
 * generation (librdkafka's Python binding) records a per-process assignment counter, and
 * equal counters of two processes need not be one generation.
 */
import { AnomalyList, type AnomalyClass, at } from './anomaly-list.ts';
import type { CommitOp } from './history.ts';

export interface CommitRegression {
  readonly group: string;
  readonly generation: number;
  readonly partition: number;
  readonly previous: { readonly offset: number; readonly process: string; readonly ok: string };
  readonly offset: number;
  readonly process: string;
  readonly ok: string;
}

export interface CommitAnomalies {
  readonly committedOffsetRegression: AnomalyClass<CommitRegression>;
}

export function checkCommits(commits: readonly CommitOp[]): CommitAnomalies {
  const acked = commits.filter((c) => c.outcome === 'ok').sort((a, b) => a.completion!.time - b.completion!.time);
  const highest = new Map<string, { offset: number; process: string; ok: string }>();
  const committedOffsetRegression = new AnomalyList<CommitRegression>();
  for (const c of acked) {
    const done = c.completion!;
    const offsets = done.offsets.length > 0 ? done.offsets : c.invoke.offsets;
    for (const [partition, offset] of offsets) {
      const key = `${done.group}\0${c.process}\0${done.generation}\0${partition}`;
      const previous = highest.get(key);
      const here = { offset, process: c.process, ok: at(done.where) };
      if (previous !== undefined && offset < previous.offset) {
        committedOffsetRegression.add({ group: done.group, generation: done.generation, partition, previous, ...here });
      } else highest.set(key, here);
    }
  }
  return { committedOffsetRegression: committedOffsetRegression.result() };
}
