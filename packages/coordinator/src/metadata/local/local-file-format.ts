/**
 * The local metadata store's snapshot (`samsa-metadata.kv` in the store's directory): the
 * whole key space at one revision. Since format version 2 it is rewritten only when the
 * journal beside it (`local-journal-format.ts`) has grown past its bound; the writes in
 * between are appended to the journal. Version 1 (the only file of earlier builds, then
 * rewritten by every write) has the same layout; it is still read, and the store converts
 * it by writing a version 2 snapshot at its first write.
 *
 * Layout (UTF-8 text; version 2, and 1):
 *
 *   samsa-metadata-store <version> <crc> <bodyBytes>\n       header, ASCII
 *   {"revision":R,"compactRevision":C,"kvs":[               body, JSON, bodyBytes long,
 *   {"key":"a","value":"<base64>","createRevision":2,"modRevision":5,"version":3,"lease":null},
 *   {"key":"b",…,"lease":"7f3a"}                             one key per line, ascending
 *   ]}\n
 *
 * - `<version>` is the decimal format version (2; 1 is read too); a reader refuses any other.
 * - `<crc>` is the CRC-32C of the body bytes, 8 lowercase hex digits; `<bodyBytes>` the
 *   body's length in decimal. A file whose remainder is not exactly `bodyBytes` long, or
 *   whose CRC differs, is torn or corrupt: it is refused, never read as empty.
 * - `revision` ≥ 1 is the store's revision; `compactRevision` its compaction point when
 *   written (0 ≤ C ≤ R + 1; history is not stored, so a reopened store's history starts
 *   after R whatever C says).
 * - Each key: its value in base64, createRevision ≤ modRevision ≤ R, version ≥ 1, and the
 *   id of the lease it was put with (null for none). Keys are unique and ascending (by
 *   UTF-16 code units, the store's order).
 *
 * `fileBytesFor` gives the exact size `encodeMetadataFile` produces from the same records,
 * so the store can refuse a write that would grow the file past its bound before applying it.
 */

import { crc32c } from '@samsa/codec';
import type { KeyValue } from '../metadata-store.ts';
import { base64ToBytes, bytesToBase64 } from '../etcd/etcd-bytes.ts';

export const localMetadataFileName = 'samsa-metadata.kv';
export const localFormatVersion = 2;
/** Versions `decodeMetadataFile` reads: 1 (no journal; converted at the first write) and 2. */
const readableVersions: readonly string[] = ['1', '2'];
const magic = 'samsa-metadata-store';
const headerCharsMax = 80;

/** A file that cannot be read as a store: torn, corrupt, or of another format. Names the file. */
export class LocalMetadataCorruptError extends Error {
  override readonly name = 'LocalMetadataCorruptError';
  readonly code = 'metadata-corrupt';
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    const advice = path.endsWith('.log') ? 'restore it from a backup, or remove it to open the snapshot alone, without the writes since it' : 'restore it from a backup, or remove it to start empty';
    super(`${path}: ${reason}; the local metadata store refuses to open it (${advice})`, options);
    this.path = path;
  }
}

export interface DecodedMetadataFile {
  /** The format version the file was written in (1 or 2). */
  readonly version: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly kvs: readonly KeyValue[];
}

/** One key's line in the body (no separator). */
export function recordJson(kv: KeyValue): string {
  return JSON.stringify({
    key: kv.key,
    value: bytesToBase64(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  });
}

/** UTF-8 length of a string (JSON.stringify output has no lone surrogates). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function bodyPrefix(revision: number, compactRevision: number): string {
  return `{"revision":${revision},"compactRevision":${compactRevision},"kvs":[`;
}
const bodySuffix = '\n]}\n';

function header(crc: number, bodyBytes: number): string {
  return `${magic} ${localFormatVersion} ${crc.toString(16).padStart(8, '0')} ${bodyBytes}\n`;
}

/** The exact file size for `count` records whose UTF-8 lengths sum to `recordBytes`. */
export function fileBytesFor(revision: number, compactRevision: number, recordBytes: number, count: number): number {
  // Records are separated by ",\n" and the first is preceded by "\n".
  const body = utf8Length(bodyPrefix(revision, compactRevision)) + recordBytes + 2 * count - (count > 0 ? 1 : 0) + bodySuffix.length;
  return header(0, body).length + body;
}

/** The file for the records (each `recordJson`, ascending by key). */
export function encodeMetadataFile(revision: number, compactRevision: number, records: readonly string[]): Uint8Array {
  const body = new TextEncoder().encode(bodyPrefix(revision, compactRevision) + records.map((r, i) => (i === 0 ? '\n' : ',\n') + r).join('') + bodySuffix);
  const head = new TextEncoder().encode(header(crc32c(body), body.length));
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Reads a file; throws LocalMetadataCorruptError naming `path` for anything but a whole, valid file. */
export function decodeMetadataFile(path: string, bytes: Uint8Array): DecodedMetadataFile {
  const newline = bytes.subarray(0, headerCharsMax).indexOf(0x0a);
  if (newline < 0) throw new LocalMetadataCorruptError(path, `no header line (${bytes.length} bytes)`);
  const head = new TextDecoder().decode(bytes.subarray(0, newline));
  const fields = head.split(' ');
  if (fields.length !== 4 || fields[0] !== magic) throw new LocalMetadataCorruptError(path, `not a local metadata store file (header "${head.slice(0, 40)}")`);
  if (!readableVersions.includes(fields[1]!)) throw new LocalMetadataCorruptError(path, `format version ${fields[1]} is not supported (this build reads ${readableVersions.join(' and ')})`);
  if (!/^[0-9a-f]{8}$/.test(fields[2]!) || !/^[0-9]{1,12}$/.test(fields[3]!)) throw new LocalMetadataCorruptError(path, `malformed header "${head}"`);
  const bodyBytes = Number(fields[3]);
  const body = bytes.subarray(newline + 1);
  if (body.length !== bodyBytes) throw new LocalMetadataCorruptError(path, `torn: the header says ${bodyBytes} body bytes, the file has ${body.length}`);
  const crc = crc32c(body);
  if (crc !== parseInt(fields[2]!, 16)) throw new LocalMetadataCorruptError(path, `CRC-32C mismatch (header ${fields[2]}, body ${crc.toString(16).padStart(8, '0')})`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    throw new LocalMetadataCorruptError(path, 'the body is not JSON', { cause: e });
  }
  return { version: Number(fields[1]), ...checkBody(path, raw) };
}

function checkBody(path: string, raw: unknown): Omit<DecodedMetadataFile, 'version'> {
  const bad = (what: string): never => {
    throw new LocalMetadataCorruptError(path, what);
  };
  const r = raw as { revision?: unknown; compactRevision?: unknown; kvs?: unknown };
  const revision = r?.revision;
  const compactRevision = r?.compactRevision;
  if (!isInt(revision) || revision < 1) return bad(`bad revision ${String(revision)}`);
  if (!isInt(compactRevision) || compactRevision < 0 || compactRevision > revision + 1) return bad(`bad compactRevision ${String(compactRevision)}`);
  if (!Array.isArray(r.kvs)) return bad('no kvs array');
  const kvs: KeyValue[] = [];
  let previous: string | null = null;
  for (const [i, e] of (r.kvs as unknown[]).entries()) {
    const kv = decodeRecord(path, e, `key entry ${i}`, revision);
    if (previous !== null && !(previous < kv.key)) return bad(`keys out of order or repeated at entry ${i} (${JSON.stringify(kv.key)})`);
    previous = kv.key;
    kvs.push(kv);
  }
  return { revision, compactRevision, kvs };
}

/** One key's record (`recordJson`'s shape) read back; `where` names it in the error. Its modRevision may not pass `revisionMax`. */
export function decodeRecord(path: string, e: unknown, where: string, revisionMax: number): KeyValue {
  const x = e as Record<string, unknown> | null;
  const ok =
    typeof x?.key === 'string' &&
    typeof x.value === 'string' &&
    isInt(x.createRevision) &&
    isInt(x.modRevision) &&
    isInt(x.version) &&
    x.createRevision >= 1 &&
    x.createRevision <= x.modRevision &&
    x.modRevision <= revisionMax &&
    x.version >= 1 &&
    (x.lease === null || typeof x.lease === 'string');
  if (!ok) throw new LocalMetadataCorruptError(path, `malformed ${where}`);
  let value: Uint8Array;
  try {
    value = base64ToBytes(x.value as string);
  } catch (err) {
    throw new LocalMetadataCorruptError(path, `${where} has a value that is not base64`, { cause: err });
  }
  return { key: x.key as string, value, createRevision: x.createRevision as number, modRevision: x.modRevision as number, version: x.version as number, lease: x.lease as string | null };
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
