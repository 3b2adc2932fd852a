/**
 * The local metadata store's journal (`samsa-metadata.kv.log` beside the snapshot
 * `samsa-metadata.kv`): the revisions committed since the snapshot, appended one group
 * commit at a time, so a write costs the size of its change, not of the store.
 *
 * Layout (format version 2):
 *
 *   samsa-metadata-journal 2 <baseRevision>\n      header line, ASCII
 *   entry*                                          back to back, no padding
 *
 *   entry = payloadBytes u32 BE | crc u32 BE (CRC-32C of the payload) | payload
 *   payload (UTF-8 JSON, ≥ 1 byte, at most `journalEntryBytesMax`):
 *     {"revisions":[{"revision":R,"events":[<put>|<delete>,…]},…]}
 *     <put>    = a key's record as in the snapshot (`recordJson`): key, base64 value,
 *                createRevision, modRevision (= R), version, lease
 *     <delete> = {"key":"k","deleted":true}
 *
 * - `baseRevision` is the revision of the snapshot the journal follows. A journal is
 *   created whole (header written to `….log.tmp`, synced, renamed, directory synced) only
 *   after its snapshot is durable, so a journal never names a snapshot newer than the
 *   one beside it: base > the snapshot's revision is corruption. Base < the snapshot's
 *   revision is the journal of an older snapshot (a crash between the two renames): its
 *   revisions are all in the snapshot and are skipped.
 * - One entry is one group commit: one or more consecutive revisions, appended with one
 *   write and made durable with one fsync before any of them is acknowledged. Revisions
 *   over the whole journal are consecutive (each entry starts one after the previous end).
 * - Recovery: only the last entry can be unsynced (the next append starts after the
 *   previous fsync), so only the last entry may be torn. An invalid entry is a torn tail,
 *   discarded (and cut off the file before the next append), when it reaches the end of the
 *   file (short header, payload past or up to the end with a CRC mismatch), when every
 *   byte from it to the end is zero (a size that got ahead of its data), or when the rest
 *   of the file could be one entry (≤ header + entryBytesMax bytes) and no whole entry
 *   (plausible length, matching CRC) starts anywhere after it: the unsynced last write with
 *   a damaged length. Any other invalid entry is corruption of synced data (a whole entry
 *   follows it, or more than one entry's bytes do): the store refuses to open with
 *   LocalMetadataCorruptError naming the file and the entry's offset.
 */

import { crc32c } from '@samsa/codec';
import type { KeyValue } from '../metadata-store.ts';
import { decodeRecord, isInt, LocalMetadataCorruptError } from './local-file-format.ts';

export const journalFormatVersion = 2;
const magic = 'samsa-metadata-journal';
const headerCharsMax = 64;
export const journalEntryHeaderBytes = 8;

/** One revision of a journal entry: its puts (whole records) and deletes, in commit order. */
export interface JournalRevision {
  readonly revision: number;
  readonly events: readonly ({ readonly type: 'put'; readonly kv: KeyValue } | { readonly type: 'delete'; readonly key: string })[];
}

export interface DecodedJournal {
  readonly baseRevision: number;
  /** Every whole, valid entry's revisions, in file order. */
  readonly revisions: readonly JournalRevision[];
  /** Bytes of the header and the valid entries: where the next entry goes. */
  readonly validBytes: number;
  /** Bytes after `validBytes` (a torn tail, discarded), 0 when none. */
  readonly tornBytes: number;
}

/** The journal's header line for a journal following the snapshot at `baseRevision`. */
export function encodeJournalHeader(baseRevision: number): Uint8Array {
  return new TextEncoder().encode(`${magic} ${journalFormatVersion} ${baseRevision}\n`);
}

/** One revision's JSON in an entry; `events` are `recordJson` strings (puts) and deleted keys. */
export function journalRevisionJson(revision: number, events: readonly ({ readonly put: string } | { readonly deleted: string })[]): string {
  const parts = events.map((e) => ('put' in e ? e.put : `{"key":${JSON.stringify(e.deleted)},"deleted":true}`));
  return `{"revision":${revision},"events":[${parts.join(',')}]}`;
}

/** An entry (header + payload) holding the revisions' JSON (`journalRevisionJson`), in order. */
export function encodeJournalEntry(revisionJsons: readonly string[]): Uint8Array {
  const payload = new TextEncoder().encode(`{"revisions":[${revisionJsons.join(',')}]}`);
  const out = new Uint8Array(journalEntryHeaderBytes + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  view.setUint32(4, crc32c(payload));
  out.set(payload, journalEntryHeaderBytes);
  return out;
}

/**
 * Reads a journal: its header, every valid entry, and the torn tail (see the file comment).
 * Throws LocalMetadataCorruptError naming `path` (and the offset) for a bad header, an
 * invalid entry before the tail, or revisions that do not follow each other.
 */
export function decodeJournal(path: string, bytes: Uint8Array, entryBytesMax: number): DecodedJournal {
  const newline = bytes.subarray(0, headerCharsMax).indexOf(0x0a);
  if (newline < 0) throw new LocalMetadataCorruptError(path, `no journal header line (${bytes.length} bytes)`);
  const head = new TextDecoder().decode(bytes.subarray(0, newline));
  const fields = head.split(' ');
  if (fields.length !== 3 || fields[0] !== magic) throw new LocalMetadataCorruptError(path, `not a local metadata journal (header "${head.slice(0, 40)}")`);
  if (fields[1] !== String(journalFormatVersion)) throw new LocalMetadataCorruptError(path, `journal format version ${fields[1]} is not supported (this build reads ${journalFormatVersion})`);
  if (!/^[1-9][0-9]{0,14}$/.test(fields[2]!)) throw new LocalMetadataCorruptError(path, `malformed journal header "${head}"`);
  const baseRevision = Number(fields[2]);
  const revisions: JournalRevision[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = newline + 1;
  let next: number | null = null; // the revision the next entry must start with, once known
  while (offset < bytes.length) {
    const rest = bytes.length - offset;
    const payloadBytes = rest >= journalEntryHeaderBytes ? view.getUint32(offset) : -1;
    const end = offset + journalEntryHeaderBytes + payloadBytes;
    const plausible = payloadBytes >= 1 && payloadBytes <= entryBytesMax;
    const whole = plausible && end <= bytes.length && crc32c(bytes.subarray(offset + journalEntryHeaderBytes, end)) === view.getUint32(offset + 4);
    if (!whole) {
      const torn =
        rest < journalEntryHeaderBytes ||
        (plausible && end >= bytes.length) ||
        allZero(bytes.subarray(offset)) ||
        // A damaged length (or a length cut short of a damaged payload): the rest may still be
        // one unsynced write — at most one entry — as long as no whole entry follows it.
        (rest <= journalEntryHeaderBytes + entryBytesMax && !wholeEntryAfter(bytes, view, offset + 1, entryBytesMax));
      if (!torn) {
        const why = !plausible ? `a length of ${payloadBytes} bytes` : `a CRC-32C mismatch`;
        throw new LocalMetadataCorruptError(path, `the journal entry at offset ${offset} is corrupt (${why}) and is not the last one`);
      }
      return { baseRevision, revisions, validBytes: offset, tornBytes: rest };
    }
    const entry = decodePayload(path, offset, bytes.subarray(offset + journalEntryHeaderBytes, end));
    for (const r of entry) {
      if (next !== null && r.revision !== next) throw new LocalMetadataCorruptError(path, `the journal entry at offset ${offset} holds revision ${r.revision} where ${next} was due`);
      next = r.revision + 1;
      revisions.push(r);
    }
    offset = end;
  }
  return { baseRevision, revisions, validBytes: offset, tornBytes: 0 };
}

function decodePayload(path: string, offset: number, payload: Uint8Array): JournalRevision[] {
  const where = `the journal entry at offset ${offset}`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (e) {
    throw new LocalMetadataCorruptError(path, `${where} is not JSON`, { cause: e });
  }
  const list = (raw as { revisions?: unknown } | null)?.revisions;
  if (!Array.isArray(list) || list.length === 0) throw new LocalMetadataCorruptError(path, `${where} has no revisions`);
  return list.map((x: unknown, i: number): JournalRevision => {
    const r = x as { revision?: unknown; events?: unknown } | null;
    if (!isInt(r?.revision) || r.revision < 2 || !Array.isArray(r.events) || r.events.length === 0) throw new LocalMetadataCorruptError(path, `${where}: malformed revision ${i}`);
    const revision = r.revision;
    const events = (r.events as unknown[]).map((e, j) => {
      const d = e as { key?: unknown; deleted?: unknown } | null;
      if (d?.deleted === true && typeof d.key === 'string') return { type: 'delete' as const, key: d.key };
      const kv = decodeRecord(path, e, `${where}: revision ${revision} event ${j}`, revision);
      if (kv.modRevision !== revision) throw new LocalMetadataCorruptError(path, `${where}: revision ${revision} puts ${JSON.stringify(kv.key)} at modRevision ${kv.modRevision}`);
      return { type: 'put' as const, kv };
    });
    return { revision, events };
  });
}

/** Whether a whole entry (plausible length, matching CRC-32C) starts at any offset ≥ `from`: synced data after a damaged entry. */
function wholeEntryAfter(bytes: Uint8Array, view: DataView, from: number, entryBytesMax: number): boolean {
  for (let p = from; p + journalEntryHeaderBytes < bytes.length; p++) {
    const length = view.getUint32(p);
    if (length < 1 || length > entryBytesMax || p + journalEntryHeaderBytes + length > bytes.length) continue;
    if (crc32c(bytes.subarray(p + journalEntryHeaderBytes, p + journalEntryHeaderBytes + length)) === view.getUint32(p + 4)) return true;
  }
  return false;
}

function allZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}
