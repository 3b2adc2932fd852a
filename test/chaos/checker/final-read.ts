/**
 * The final read: after the faults end and the cluster healed, a fresh client reads every
 * partition from its log start to its high watermark. One JSON file:
 *
 *   {"topic":"…","partitions":{"0":{"logStartOffset":0,"highWatermark":n,
 *                                   "records":[[offset,"value"],…]},…}}
 *
 * Validated here: partition keys are decimal integers ≥ 0; 0 ≤ logStartOffset ≤
 * highWatermark (integers); every record is [offset, "value"] with logStartOffset ≤ offset <
 * highWatermark and offsets strictly increasing. Offsets may have gaps (a read never
 * invents records; the checker decides what a gap means). The file is refused above
 * FINAL_READ_BYTES_MAX (V8 cannot hold a JSON string much larger in one piece).
 */
import { readFile, stat } from 'node:fs/promises';
import { CheckerInputError } from './input-error.ts';

export const FINAL_READ_BYTES_MAX = 512 * 1024 ** 2;

export interface FinalPartition {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** [offset, value], offsets strictly increasing within [logStartOffset, highWatermark). */
  readonly records: readonly (readonly [number, string])[];
}

export interface FinalRead {
  readonly topic: string;
  readonly partitions: ReadonlyMap<number, FinalPartition>;
}

function bad(file: string, message: string): CheckerInputError {
  return new CheckerInputError('BAD_FINAL_READ', `${file}: ${message}`);
}

function nonNegativeInt(v: unknown, what: string, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(file, `${what} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

function parsePartition(key: string, raw: unknown, file: string): FinalPartition {
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw bad(file, `partition key ${JSON.stringify(key)} is not a decimal integer`);
  const partition = Number(key);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(file, `partition ${key} is not an object`);
  const o = raw as Record<string, unknown>;
  const logStartOffset = nonNegativeInt(o.logStartOffset, `partition ${key} logStartOffset`, file);
  const highWatermark = nonNegativeInt(o.highWatermark, `partition ${key} highWatermark`, file);
  if (logStartOffset > highWatermark) throw bad(file, `partition ${key}: logStartOffset ${logStartOffset} above highWatermark ${highWatermark}`);
  if (!Array.isArray(o.records)) throw bad(file, `partition ${key} records must be an array`);
  let previous = -1;
  const records = o.records.map((r: unknown, i: number) => {
    if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'string') throw bad(file, `partition ${key} records[${i}] must be [offset, "value"], got ${JSON.stringify(r)}`);
    const offset = nonNegativeInt(r[0], `partition ${key} records[${i}] offset`, file);
    if (offset < logStartOffset || offset >= highWatermark) {
      throw bad(file, `partition ${key} records[${i}] offset ${offset} outside [logStartOffset ${logStartOffset}, highWatermark ${highWatermark})`);
    }
    if (offset <= previous) throw bad(file, `partition ${key} records[${i}] offset ${offset} not above the previous ${previous}`);
    previous = offset;
    return [offset, r[1] as string] as const;
  });
  return { partition, logStartOffset, highWatermark, records };
}

/** Validates a parsed final read (pure). `file` names it in errors. */
export function parseFinalRead(json: unknown, file: string): FinalRead {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(file, 'not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.topic !== 'string' || o.topic === '') throw bad(file, `"topic" must be a non-empty string, got ${JSON.stringify(o.topic)}`);
  if (typeof o.partitions !== 'object' || o.partitions === null || Array.isArray(o.partitions)) throw bad(file, '"partitions" must be an object keyed by partition');
  const partitions = new Map<number, FinalPartition>();
  for (const [key, raw] of Object.entries(o.partitions)) {
    const p = parsePartition(key, raw, file);
    partitions.set(p.partition, p);
  }
  return { topic: o.topic, partitions };
}

/** Reads and validates a final-read file; `name` is how errors name it. */
export async function readFinalRead(path: string, name = path): Promise<FinalRead> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > FINAL_READ_BYTES_MAX) throw bad(name, `${size} bytes, above the ${FINAL_READ_BYTES_MAX}-byte limit`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CheckerInputError) throw e;
    throw bad(name, `cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(name, `not JSON (${(e as Error).message})`);
  }
  return parseFinalRead(json, name);
}
