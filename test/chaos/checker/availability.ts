/**
 * Availability and recovery times, from the sends and the nemesis events.
 *
 * Availability: the run's time from the first to the last send invoke, cut into 1 s buckets
 * ([t0 + i·1000, t0 + (i+1)·1000), n = floor((tLast − t0)/1000) + 1 of them); a bucket is
 * available when at least one send completed ok inside it. availability = available / n.
 * Also the longest run of unavailable buckets. At most BUCKETS_MAX buckets (about 4 months).
 *
 * Recovery per fault: nemesis events pair in time order, a "start" with the next "end" of
 * the same fault name. For a time T, the recovery time is the earliest ok completion among
 * the sends invoked at or after T, minus T: how long until a send issued after T was seen
 * to succeed. Reported from the fault's start and from its end (null when no such send, or
 * for an end without a start / a start without an end).
 */
import { CheckerInputError } from './input-error.ts';
import type { History, NemesisEvent, SendOp } from './history.ts';

export const BUCKET_MS = 1000;
export const BUCKETS_MAX = 10_000_000;

export interface Availability {
  /** null when the history has no send. */
  readonly availability: number | null;
  readonly buckets: number;
  readonly availableBuckets: number;
  readonly longestUnavailableSeconds: number;
  readonly firstInvokeTime: number | null;
  readonly lastInvokeTime: number | null;
}

export interface Recovery {
  readonly fault: string;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly detail: unknown;
  readonly recoveryFromStartMs: number | null;
  readonly recoveryFromEndMs: number | null;
}

export function availabilityOf(sends: readonly SendOp[]): Availability {
  if (sends.length === 0) {
    return { availability: null, buckets: 0, availableBuckets: 0, longestUnavailableSeconds: 0, firstInvokeTime: null, lastInvokeTime: null };
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const op of sends) {
    t0 = Math.min(t0, op.invoke.time);
    t1 = Math.max(t1, op.invoke.time);
  }
  const buckets = Math.floor((t1 - t0) / BUCKET_MS) + 1;
  if (buckets > BUCKETS_MAX) throw new CheckerInputError('BAD_HISTORY', `sends span ${t1 - t0} ms, above ${BUCKETS_MAX} one-second buckets`);
  const available = new Uint8Array(buckets);
  for (const op of sends) {
    if (op.outcome !== 'ok') continue;
    const i = Math.floor((op.completion!.time - t0) / BUCKET_MS);
    if (i >= 0 && i < buckets) available[i] = 1;
  }
  let availableBuckets = 0;
  let run = 0;
  let longest = 0;
  for (const a of available) {
    if (a === 1) {
      availableBuckets++;
      run = 0;
    } else longest = Math.max(longest, ++run);
  }
  return { availability: availableBuckets / buckets, buckets, availableBuckets, longestUnavailableSeconds: longest, firstInvokeTime: t0, lastInvokeTime: t1 };
}

/** For each time T asked: earliest ok completion among sends invoked at or after T, minus T. */
function recoveryIndex(sends: readonly SendOp[]): (t: number) => number | null {
  const ok = sends.filter((op) => op.outcome === 'ok').sort((a, b) => a.invoke.time - b.invoke.time);
  const invokes = ok.map((op) => op.invoke.time);
  const suffixMinOk = new Array<number>(ok.length + 1).fill(Infinity);
  for (let i = ok.length - 1; i >= 0; i--) suffixMinOk[i] = Math.min(suffixMinOk[i + 1]!, ok[i]!.completion!.time);
  return (t) => {
    let lo = 0;
    let hi = invokes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (invokes[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    const first = suffixMinOk[lo]!;
    return first === Infinity ? null : Math.max(0, first - t);
  };
}

export function recoveries(history: History, sends: readonly SendOp[]): Recovery[] {
  const recoveryAfter = recoveryIndex(sends);
  type Fault = { start: NemesisEvent | undefined; end: NemesisEvent | undefined };
  const open = new Map<string, Fault[]>(); // fault name → started, not yet ended, oldest first
  const faults: Fault[] = [];
  for (const e of history.byTime) {
    if (e.f !== 'nemesis') continue;
    let started = open.get(e.fault);
    if (started === undefined) open.set(e.fault, (started = []));
    if (e.phase === 'start') {
      const fault: Fault = { start: e, end: undefined };
      faults.push(fault);
      started.push(fault);
    } else {
      const fault = started.shift();
      if (fault !== undefined) fault.end = e;
      else faults.push({ start: undefined, end: e });
    }
  }
  return faults.map(({ start, end }) => ({
    fault: (start ?? end)!.fault,
    startTime: start?.time ?? null,
    endTime: end?.time ?? null,
    detail: start?.detail ?? end?.detail ?? null,
    recoveryFromStartMs: start === undefined ? null : recoveryAfter(start.time),
    recoveryFromEndMs: end === undefined ? null : recoveryAfter(end.time),
  }));
}
