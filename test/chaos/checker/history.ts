/**
 * The workloads' histories (issue 15; format in test/chaos/README.md, "Checker" › "Input"):
 * JSONL, one JSON object per line, one file per workload process, wall-clock times in
 * milliseconds since the epoch so files from different processes merge on one axis.
 *
 * Line shapes (`type` ∈ invoke | ok | fail | info; `process` a non-empty string; `time` a
 * finite number):
 * - `f:"send"`: `partition` (integer ≥ 0), `value` (string); an ok may carry `offset`
 *   (integer; absent, null or negative = acknowledged with the offset unknown, librdkafka's
 *   implicit ack); fail/info may carry `error`.
 * - `f:"poll"`: `member`, `generation` (integer), `records` ([[partition, offset, value], …]);
 *   only ok lines carry records; invoke/fail/info polls are accepted and carry none.
 * - `f:"assign"` / `f:"revoke"`: `member`, `generation`, `partitions` ([p, …]).
 * - `f:"commit"`: `generation`, `offsets` ([[partition, offset], …], the NEXT offset to read),
 *   optional `group` (default "default") and `member`.
 * - `f:"nemesis"`: `fault` (string), `phase` ("start" | "end"), optional `detail`.
 * Anything else (an unknown `f` or `type`, a missing or mistyped field) is a
 * CheckerInputError naming `file:line`.
 *
 * Bounds: a file above HISTORY_FILE_BYTES_MAX or a line above HISTORY_LINE_BYTES_MAX is
 * refused before it is buffered; at most HISTORY_EVENTS_MAX events across all files.
 *
 * Pairing (`pairOperations`): a send completion pairs with the invoke of the same process
 * and value (producers are asynchronous, so several sends of one process may be in flight;
 * values are unique in a run, so a second invoke of one value is bad input). A commit
 * completion pairs with the oldest unanswered commit invoke of its process. A completion
 * without an invoke is bad input; an invoke without a completion is indeterminate (its
 * process died). Pairing walks each file in line order, so a clock step inside a process
 * cannot put a completion before its invoke.
 */
import { open, stat } from 'node:fs/promises';
import { CheckerInputError } from './input-error.ts';

export const HISTORY_FILE_BYTES_MAX = 2 * 1024 ** 3;
export const HISTORY_LINE_BYTES_MAX = 1024 ** 2;
export const HISTORY_EVENTS_MAX = 20_000_000;

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** Where a line came from: the file as named on the command line, 1-based line. */
export interface Where {
  readonly file: string;
  readonly line: number;
}

interface EventBase {
  readonly type: OpType;
  readonly process: string;
  readonly time: number;
  readonly where: Where;
}

export interface SendEvent extends EventBase {
  readonly f: 'send';
  readonly partition: number;
  readonly value: string;
  /** Only on ok lines that name a non-negative offset. */
  readonly offset: number | undefined;
  readonly error: string | undefined;
}

/** One polled record: [partition, offset, value]. */
export type PolledRecord = readonly [number, number, string];

export interface PollEvent extends EventBase {
  readonly f: 'poll';
  readonly member: string;
  readonly generation: number;
  readonly records: readonly PolledRecord[];
}

export interface RebalanceEvent extends EventBase {
  readonly f: 'assign' | 'revoke';
  readonly member: string;
  readonly generation: number;
  readonly partitions: readonly number[];
}

export interface CommitEvent extends EventBase {
  readonly f: 'commit';
  readonly group: string;
  readonly member: string | undefined;
  readonly generation: number;
  /** [partition, next offset to read]; empty when the line carries none. */
  readonly offsets: readonly (readonly [number, number])[];
  readonly error: string | undefined;
}

export interface NemesisEvent extends EventBase {
  readonly f: 'nemesis';
  readonly fault: string;
  readonly phase: 'start' | 'end';
  readonly detail: unknown;
}

export type HistoryEvent = SendEvent | PollEvent | RebalanceEvent | CommitEvent | NemesisEvent;

/** All files of a run: every event in time order (ties keep file order), and in file order. */
export interface History {
  readonly byTime: readonly HistoryEvent[];
  readonly inFileOrder: readonly HistoryEvent[];
}

const OP_TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

type Fields = Record<string, unknown>;

function bad(where: Where, message: string): CheckerInputError {
  return new CheckerInputError('BAD_HISTORY', `${where.file}:${where.line}: ${message}`);
}

function str(o: Fields, key: string, where: Where): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw bad(where, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function optStr(o: Fields, key: string, where: Where): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(where, `"${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(v: unknown, what: string, where: Where, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw bad(where, `${what} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function arr(o: Fields, key: string, where: Where): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw bad(where, `"${key}" must be an array, got ${JSON.stringify(v)}`);
  return v;
}

function pollRecords(o: Fields, type: OpType, where: Where): PolledRecord[] {
  if (type !== 'ok') return [];
  return arr(o, 'records', where).map((r, i) => {
    if (!Array.isArray(r) || r.length !== 3 || typeof r[2] !== 'string') {
      throw bad(where, `records[${i}] must be [partition, offset, "value"], got ${JSON.stringify(r)}`);
    }
    return [int(r[0], `records[${i}] partition`, where, 0), int(r[1], `records[${i}] offset`, where, 0), r[2]] as const;
  });
}

function commitOffsets(o: Fields, where: Where): (readonly [number, number])[] {
  if (o.offsets === undefined || o.offsets === null) return [];
  return arr(o, 'offsets', where).map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2) throw bad(where, `offsets[${i}] must be [partition, offset], got ${JSON.stringify(r)}`);
    return [int(r[0], `offsets[${i}] partition`, where, 0), int(r[1], `offsets[${i}] offset`, where)] as const;
  });
}

/** Parses one line (without its newline) into an event; throws CheckerInputError naming `where`. */
export function parseHistoryLine(text: string, where: Where): HistoryEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw bad(where, `not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(where, 'not a JSON object');
  const o = parsed as Fields;
  const type = o.type;
  if (typeof type !== 'string' || !OP_TYPES.has(type)) throw bad(where, `unknown type ${JSON.stringify(type)} (invoke | ok | fail | info)`);
  const time = o.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw bad(where, `"time" must be a finite number, got ${JSON.stringify(time)}`);
  const base = { type: type as OpType, process: str(o, 'process', where), time, where };
  switch (o.f) {
    case 'send': {
      const offset = o.offset === undefined || o.offset === null ? undefined : int(o.offset, '"offset"', where);
      return {
        ...base,
        f: 'send',
        partition: int(o.partition, '"partition"', where, 0),
        value: str(o, 'value', where),
        offset: type === 'ok' && offset !== undefined && offset >= 0 ? offset : undefined,
        error: optStr(o, 'error', where),
      };
    }
    case 'poll':
      return { ...base, f: 'poll', member: str(o, 'member', where), generation: int(o.generation, '"generation"', where), records: pollRecords(o, base.type, where) };
    case 'assign':
    case 'revoke':
      return {
        ...base,
        f: o.f,
        member: str(o, 'member', where),
        generation: int(o.generation, '"generation"', where),
        partitions: arr(o, 'partitions', where).map((p, i) => int(p, `partitions[${i}]`, where, 0)),
      };
    case 'commit':
      return {
        ...base,
        f: 'commit',
        group: optStr(o, 'group', where) ?? 'default',
        member: optStr(o, 'member', where),
        generation: int(o.generation, '"generation"', where),
        offsets: commitOffsets(o, where),
        error: optStr(o, 'error', where),
      };
    case 'nemesis': {
      const phase = o.phase;
      if (phase !== 'start' && phase !== 'end') throw bad(where, `"phase" must be "start" or "end", got ${JSON.stringify(phase)}`);
      return { ...base, f: 'nemesis', fault: str(o, 'fault', where), phase, detail: o.detail };
    }
    default:
      throw bad(where, `unknown op f=${JSON.stringify(o.f)} (send | poll | assign | revoke | commit | nemesis)`);
  }
}

/** Parses a whole history text (pure; the bounds of a file apply per line). Blank lines are skipped. */
export function parseHistoryText(text: string, file: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const where = { file, line: i + 1 };
    if (Buffer.byteLength(line) > HISTORY_LINE_BYTES_MAX) throw bad(where, `line longer than ${HISTORY_LINE_BYTES_MAX} bytes`);
    events.push(parseHistoryLine(line, where));
    if (events.length > HISTORY_EVENTS_MAX) throw bad(where, `more than ${HISTORY_EVENTS_MAX} events`);
  }
  return events;
}

/**
 * Reads one history file in chunks, refusing a file above HISTORY_FILE_BYTES_MAX and a line
 * above HISTORY_LINE_BYTES_MAX before buffering it whole. `name` is how errors name it.
 */
export async function readHistoryFile(path: string, name = path): Promise<HistoryEvent[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new CheckerInputError('BAD_HISTORY', `${name}: cannot read (${(e as Error).message})`);
  }
  if (size > HISTORY_FILE_BYTES_MAX) throw new CheckerInputError('BAD_HISTORY', `${name}: ${size} bytes, above the ${HISTORY_FILE_BYTES_MAX}-byte limit`);
  const events: HistoryEvent[] = [];
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let lineNo = 0;
    const take = (bytes: Buffer) => {
      lineNo++;
      const text = bytes.toString('utf8').replace(/\r$/, '');
      if (text.trim() === '') return;
      events.push(parseHistoryLine(text, { file: name, line: lineNo }));
      if (events.length > HISTORY_EVENTS_MAX) throw bad({ file: name, line: lineNo }, `more than ${HISTORY_EVENTS_MAX} events`);
    };
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1 && nl < bytesRead; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        if (pendingBytes + piece.length > HISTORY_LINE_BYTES_MAX) throw bad({ file: name, line: lineNo + 1 }, `line longer than ${HISTORY_LINE_BYTES_MAX} bytes`);
        take(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      const rest = chunk.subarray(start, bytesRead);
      pendingBytes += rest.length;
      if (pendingBytes > HISTORY_LINE_BYTES_MAX) throw bad({ file: name, line: lineNo + 1 }, `line longer than ${HISTORY_LINE_BYTES_MAX} bytes`);
      pending.push(Buffer.from(rest));
    }
    if (pendingBytes > 0) take(Buffer.concat(pending));
  } finally {
    await handle.close();
  }
  return events;
}

/** Merges the events of several files: by time (stable, so ties keep file order) and in file order. */
export function mergeHistories(files: readonly (readonly HistoryEvent[])[]): History {
  const inFileOrder = files.flat();
  if (inFileOrder.length > HISTORY_EVENTS_MAX) throw new CheckerInputError('BAD_HISTORY', `more than ${HISTORY_EVENTS_MAX} events in all histories`);
  const byTime = [...inFileOrder].sort((a, b) => a.time - b.time);
  return { byTime, inFileOrder };
}

export type SendOutcome = 'ok' | 'fail' | 'info' | 'indeterminate';

/** One send: its invoke, its completion if any, and what that says. */
export interface SendOp {
  readonly process: string;
  readonly partition: number;
  readonly value: string;
  readonly invoke: SendEvent;
  readonly completion: SendEvent | undefined;
  readonly outcome: SendOutcome;
  /** The acknowledged offset (ok with a known offset only). */
  readonly offset: number | undefined;
}

export interface CommitOp {
  readonly process: string;
  readonly invoke: CommitEvent;
  readonly completion: CommitEvent | undefined;
  readonly outcome: SendOutcome;
}

export interface Operations {
  /** In invoke order per process (file order); processes in order of first appearance. */
  readonly sends: readonly SendOp[];
  readonly commits: readonly CommitOp[];
}

/** Pairs invokes with completions (see the file comment); throws CheckerInputError on a stray completion. */
export function pairOperations(history: History): Operations {
  const sendIndex = new Map<string, number>(); // process + '\0' + value → index in sends
  const sends: { invoke: SendEvent; completion: SendEvent | undefined }[] = [];
  const commitQueues = new Map<string, number[]>(); // process → indexes of unanswered commit invokes, oldest first
  const commits: { invoke: CommitEvent; completion: CommitEvent | undefined }[] = [];
  for (const e of history.inFileOrder) {
    if (e.f === 'send') {
      const key = `${e.process}\0${e.value}`;
      const at = sendIndex.get(key);
      if (e.type === 'invoke') {
        if (at !== undefined) throw bad(e.where, `second invoke of send value ${JSON.stringify(e.value)} (values must be unique in a run)`);
        sendIndex.set(key, sends.length);
        sends.push({ invoke: e, completion: undefined });
        continue;
      }
      const op = at === undefined ? undefined : sends[at];
      if (op === undefined) throw bad(e.where, `send ${e.type} of value ${JSON.stringify(e.value)} without an invoke from process ${e.process}`);
      if (op.completion !== undefined) throw bad(e.where, `second completion of send value ${JSON.stringify(e.value)} (first at line ${op.completion.where.line})`);
      if (op.invoke.partition !== e.partition) throw bad(e.where, `send completion names partition ${e.partition}, its invoke ${op.invoke.partition}`);
      op.completion = e;
    } else if (e.f === 'commit') {
      let queue = commitQueues.get(e.process);
      if (queue === undefined) commitQueues.set(e.process, (queue = []));
      if (e.type === 'invoke') {
        queue.push(commits.length);
        commits.push({ invoke: e, completion: undefined });
        continue;
      }
      const at = queue.shift();
      if (at === undefined) throw bad(e.where, `commit ${e.type} without an invoke from process ${e.process}`);
      commits[at]!.completion = e;
    }
  }
  return {
    sends: sends.map(({ invoke, completion }) => ({
      process: invoke.process,
      partition: invoke.partition,
      value: invoke.value,
      invoke,
      completion,
      outcome: completion === undefined ? 'indeterminate' : (completion.type as SendOutcome),
      offset: completion?.type === 'ok' ? completion.offset : undefined,
    })),
    commits: commits.map(({ invoke, completion }) => ({
      process: invoke.process,
      invoke,
      completion,
      outcome: completion === undefined ? 'indeterminate' : (completion.type as SendOutcome),
    })),
  };
}
