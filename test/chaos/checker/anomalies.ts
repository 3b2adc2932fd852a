/**
 * All anomaly classes of one run, from the merged history and the final read (pure). Each
 * class lives in its own file (send-, place-, poll-, commit-anomalies.ts) with its exact
 * definition; test/chaos/README.md ("Checker") collects them. SAFETY_CLASSES are the
 * classes any one finding of which makes a run unsafe; `unseen` is reported only.
 */
import type { AnomalyClass } from './anomaly-list.ts';
import { checkCommits, type CommitRegression } from './commit-anomalies.ts';
import type { FinalRead } from './final-read.ts';
import type { History, Operations } from './history.ts';
import { checkPlaces, type Duplicate, type InconsistentOffset, type Unexpected } from './place-anomalies.ts';
import { checkPolls, type PollStep, type SkippedPoll } from './poll-anomalies.ts';
import { checkSends, type LostWrite, type OutOfOrder, type UnseenWrite } from './send-anomalies.ts';

export interface Anomalies {
  readonly lost: AnomalyClass<LostWrite>;
  readonly unseen: AnomalyClass<UnseenWrite>;
  readonly duplicate: AnomalyClass<Duplicate>;
  readonly inconsistentOffset: AnomalyClass<InconsistentOffset>;
  readonly nonmonotonicPoll: AnomalyClass<PollStep>;
  readonly skippedPoll: AnomalyClass<SkippedPoll>;
  readonly outOfOrder: AnomalyClass<OutOfOrder>;
  readonly committedOffsetRegression: AnomalyClass<CommitRegression>;
  readonly unexpected: AnomalyClass<Unexpected>;
}

export type AnomalyName = keyof Anomalies;

export const SAFETY_CLASSES: readonly AnomalyName[] = [
  'lost',
  'duplicate',
  'inconsistentOffset',
  'nonmonotonicPoll',
  'skippedPoll',
  'outOfOrder',
  'committedOffsetRegression',
  'unexpected',
];

export const ANOMALY_NAMES: readonly AnomalyName[] = [...SAFETY_CLASSES, 'unseen'];

export interface AnomalyFindings {
  readonly anomalies: Anomalies;
  readonly ackedBelowLogStart: number;
  readonly valuesRead: number;
  readonly polls: number;
  readonly polledRecords: number;
}

export function findAnomalies(history: History, ops: Operations, final: FinalRead): AnomalyFindings {
  const sends = checkSends(ops.sends, final);
  const places = checkPlaces(history, ops.sends, final);
  const polls = checkPolls(history, final);
  const commits = checkCommits(ops.commits);
  return {
    anomalies: {
      lost: sends.lost,
      unseen: sends.unseen,
      duplicate: places.duplicate,
      inconsistentOffset: places.inconsistentOffset,
      nonmonotonicPoll: polls.nonmonotonicPoll,
      skippedPoll: polls.skippedPoll,
      outOfOrder: sends.outOfOrder,
      committedOffsetRegression: commits.committedOffsetRegression,
      unexpected: places.unexpected,
    },
    ackedBelowLogStart: sends.ackedBelowLogStart,
    valuesRead: places.valuesRead,
    polls: polls.polls,
    polledRecords: polls.polledRecords,
  };
}
