/**
 * The checker's verdict: `check(history, final)` (pure) builds the JSON report, and
 * `summarize(report)` the few lines a person reads.
 *
 * Report (JSON):
 *   { counts: { sends: {invoked, ok, okOffsetUnknown, fail, info, indeterminate},
 *               commits: {invoked, ok, fail, info, indeterminate}, polls, polledRecords,
 *               finalRead: {partitions, records}, valuesRead, ackedBelowLogStart, nemesisEvents },
 *     anomalies: { <class>: { count, examples: [≤ 20] }, … },
 *     safe, unsafeClasses: [<class>, …],
 *     availability: { availability, buckets, availableBuckets, longestUnavailableSeconds, … },
 *     recovery: [ { fault, startTime, endTime, detail, recoveryFromStartMs, recoveryFromEndMs } ] }
 * `safe` is false exactly when a class of SAFETY_CLASSES has a finding.
 */
import { ANOMALY_NAMES, type Anomalies, type AnomalyName, findAnomalies, SAFETY_CLASSES } from './anomalies.ts';
import { type Availability, availabilityOf, recoveries, type Recovery } from './availability.ts';
import type { FinalRead } from './final-read.ts';
import { type History, pairOperations, type SendOutcome } from './history.ts';

export type OutcomeCounts = { readonly invoked: number } & Record<SendOutcome, number>;

export interface Counts {
  readonly sends: OutcomeCounts & { readonly okOffsetUnknown: number };
  readonly commits: OutcomeCounts;
  readonly polls: number;
  readonly polledRecords: number;
  readonly finalRead: { readonly partitions: number; readonly records: number };
  readonly valuesRead: number;
  readonly ackedBelowLogStart: number;
  readonly nemesisEvents: number;
}

export interface Report {
  readonly counts: Counts;
  readonly anomalies: Anomalies;
  readonly safe: boolean;
  readonly unsafeClasses: readonly AnomalyName[];
  readonly availability: Availability;
  readonly recovery: readonly Recovery[];
}

function outcomes(ops: readonly { readonly outcome: SendOutcome }[]): OutcomeCounts {
  const counts = { invoked: ops.length, ok: 0, fail: 0, info: 0, indeterminate: 0 };
  for (const op of ops) counts[op.outcome]++;
  return counts;
}

export function check(history: History, final: FinalRead): Report {
  const ops = pairOperations(history);
  const found = findAnomalies(history, ops, final);
  const unsafeClasses = SAFETY_CLASSES.filter((name) => found.anomalies[name].count > 0);
  let finalRecords = 0;
  for (const p of final.partitions.values()) finalRecords += p.records.length;
  return {
    counts: {
      sends: { ...outcomes(ops.sends), okOffsetUnknown: ops.sends.filter((s) => s.outcome === 'ok' && s.offset === undefined).length },
      commits: outcomes(ops.commits),
      polls: found.polls,
      polledRecords: found.polledRecords,
      finalRead: { partitions: final.partitions.size, records: finalRecords },
      valuesRead: found.valuesRead,
      ackedBelowLogStart: found.ackedBelowLogStart,
      nemesisEvents: history.byTime.filter((e) => e.f === 'nemesis').length,
    },
    anomalies: found.anomalies,
    safe: unsafeClasses.length === 0,
    unsafeClasses,
    availability: availabilityOf(ops.sends),
    recovery: recoveries(history, ops.sends),
  };
}

function seconds(ms: number | null): string {
  return ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

/** A few lines for a person: verdict, counts, anomalies, availability, one example per failing class. */
export function summarize(report: Report): string {
  const { counts: c, availability: a } = report;
  const lines = [
    `checker: ${report.safe ? 'SAFE' : `UNSAFE (${report.unsafeClasses.join(', ')})`}`,
    `sends: ${c.sends.invoked} invoked, ${c.sends.ok} ok (${c.sends.okOffsetUnknown} without offset), ${c.sends.fail} fail, ${c.sends.info} info, ${c.sends.indeterminate} indeterminate; ` +
      `final read ${c.finalRead.records} records in ${c.finalRead.partitions} partitions; ${c.polls} polls (${c.polledRecords} records); ${c.commits.ok}/${c.commits.invoked} commits ok`,
    `anomalies: ${ANOMALY_NAMES.map((n) => `${n} ${report.anomalies[n].count}`).join(', ')}`,
    `availability: ${a.availability === null ? '–' : `${(a.availability * 100).toFixed(1)}%`} of ${a.buckets} s (longest gap ${a.longestUnavailableSeconds} s); ` +
      `${report.recovery.length} faults, recovery from start/end: ${report.recovery.map((r) => `${r.fault} ${seconds(r.recoveryFromStartMs)}/${seconds(r.recoveryFromEndMs)}`).slice(0, 8).join(', ')}${report.recovery.length > 8 ? ', …' : ''}`,
  ];
  for (const name of report.unsafeClasses) lines.push(`  e.g. ${name}: ${JSON.stringify(report.anomalies[name].examples[0])}`);
  return lines.join('\n');
}
