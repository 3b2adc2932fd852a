/**
 * A minimal check of workload histories for the workloads' own tests (issue 15): NOT the
 * fault suite's checker (another module, written independently), only enough to show that
 * the workloads record what happened on a fault-free run. Problems are returned as
 * readable strings (empty = fine):
 *   - the history file ends with a newline and every line parses (no torn line);
 *   - per process, every invoke (send, commit) is followed by exactly one completion of
 *     the same operation (same value / same offsets), and no completion comes without an
 *     invoke; with `complete`, no invoke is left open at the end;
 *   - every `ok` send appears exactly once in the final read, at its acknowledged offset
 *     (or anywhere when the offset is null: an implicit ack); no `fail` send appears;
 *   - every polled record is in the final read at the same partition and offset;
 *   - every value in the final read was invoked by some send; each partition's offsets run
 *     without holes from logStartOffset to highWatermark;
 *   - with `allOk`, every send and commit completed ok (a fault-free run).
 */
import { readFileSync } from 'node:fs';

export interface HistoryEntry {
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: string;
  readonly process: string;
  readonly time: number;
  readonly partition?: number;
  readonly value?: string;
  readonly offset?: number | null;
  readonly offsets?: Array<[number, number]>;
  readonly records?: Array<[number, number, string | null]>;
  readonly generation?: number;
  readonly partitions?: number[];
  readonly error?: string;
}

export interface FinalRead {
  readonly topic: string;
  readonly partitions: Record<string, { logStartOffset: number; highWatermark: number; records: Array<[number, string | null]> }>;
}

const PROBLEMS_MAX = 50;

/** Parses a JSONL history; throws naming the first bad line or a missing final newline. */
export function readHistory(path: string): HistoryEntry[] {
  const text = readFileSync(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) throw new Error(`${path}: the last line is torn (no final newline): ${JSON.stringify(text.slice(-200))}`);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, i) => {
      try {
        return JSON.parse(line) as HistoryEntry;
      } catch {
        throw new Error(`${path}: line ${i + 1} does not parse: ${JSON.stringify(line.slice(0, 200))}`);
      }
    });
}

export function readFinal(path: string): FinalRead {
  return JSON.parse(readFileSync(path, 'utf8')) as FinalRead;
}

function opKey(e: HistoryEntry): string {
  return e.f === 'send' ? `send ${e.value}` : `${e.f} ${JSON.stringify(e.offsets)}`;
}

function checkPairs(history: readonly HistoryEntry[], complete: boolean, problems: string[]): void {
  const open = new Map<string, string>();
  for (const e of history) {
    if (e.f !== 'send' && e.f !== 'commit') continue;
    const key = opKey(e);
    const pending = open.get(e.process);
    if (e.type === 'invoke') {
      if (e.f === 'commit' && pending !== undefined) problems.push(`${e.process}: ${key} invoked while ${pending} is open`);
      if (e.f === 'send') open.set(`${e.process} ${key}`, key);
      else open.set(e.process, key);
      continue;
    }
    const slot = e.f === 'send' ? `${e.process} ${key}` : e.process;
    if (open.get(slot) !== key) problems.push(`${e.process}: ${e.type} ${key} without an open invoke`);
    open.delete(slot);
  }
  if (complete) for (const [slot, key] of open) problems.push(`${slot.split(' ')[0]}: ${key} invoked and never completed`);
}

function checkFinal(history: readonly HistoryEntry[], final: FinalRead, allOk: boolean, problems: string[]): void {
  const at = new Map<string, string | null>();
  const where = new Map<string, string[]>();
  for (const [p, part] of Object.entries(final.partitions)) {
    let expected = part.logStartOffset;
    for (const [offset, value] of part.records) {
      if (offset !== expected) problems.push(`partition ${p}: offset ${offset} where ${expected} was next (hole or reorder)`);
      expected = offset + 1;
      at.set(`${p}/${offset}`, value);
      if (value !== null) where.set(value, [...(where.get(value) ?? []), `${p}/${offset}`]);
    }
    if (expected !== part.highWatermark) problems.push(`partition ${p}: read ends at ${expected}, high watermark ${part.highWatermark}`);
  }
  const invoked = new Set(history.filter((e) => e.f === 'send' && e.type === 'invoke').map((e) => e.value));
  for (const value of where.keys()) if (!invoked.has(value)) problems.push(`value ${value} in the final read was never sent`);
  for (const e of history) {
    if (e.f === 'send' && e.type === 'ok') {
      const places = where.get(e.value!) ?? [];
      if (places.length !== 1) problems.push(`ok send ${e.value} is in the final read ${places.length} times (${places.join(' ')})`);
      else if (e.offset !== null && e.offset !== undefined && places[0] !== `${e.partition}/${e.offset}`) problems.push(`ok send ${e.value} acknowledged at ${e.partition}/${e.offset}, read at ${places[0]}`);
    }
    if (e.f === 'send' && e.type === 'fail' && where.has(e.value!)) problems.push(`failed send ${e.value} is in the final read`);
    if (e.f === 'poll') {
      for (const [p, offset, value] of e.records ?? []) {
        if (at.get(`${p}/${offset}`) !== value) problems.push(`${e.process} polled ${value} at ${p}/${offset}, the final read holds ${at.get(`${p}/${offset}`)}`);
      }
    }
    if (allOk && (e.f === 'send' || e.f === 'commit') && (e.type === 'fail' || e.type === 'info')) problems.push(`${e.process}: ${e.type} ${opKey(e)} (${e.error}) on a fault-free run`);
  }
}

export function checkHistory(history: readonly HistoryEntry[], final: FinalRead, options: { complete: boolean; allOk: boolean }): string[] {
  const problems: string[] = [];
  checkPairs(history, options.complete, problems);
  checkFinal(history, final, options.allOk, problems);
  return problems.slice(0, PROBLEMS_MAX);
}
