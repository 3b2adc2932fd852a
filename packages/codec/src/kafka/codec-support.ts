/**
 * Helpers shared by the generated codecs in ./generated (not part of the public API).
 * Encode-side validation throws EncodeError; everything here is pure.
 */
import { EncodeError } from '../primitives/encode-error.ts';
import { sizeUvarint } from '../primitives/writer.ts';
import type { Writer } from '../primitives/writer.ts';
import type { TaggedField } from './message-codec.ts';

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
const NO_TAGS: readonly TaggedField[] = [];

export function encodeFail(api: string, version: number, path: string, detail: string): never {
  throw new EncodeError(api, version, path, detail);
}

/** Checks an int64 before it is written. */
export function checkInt64(v: number, api: string, version: number, path: string): void {
  if (!Number.isSafeInteger(v)) encodeFail(api, version, path, `int64 ${v} is not a safe integer`);
}

/** Bytes taken by unknown tagged fields (tag, size, data each). */
export function sizeUnknownTags(tags: readonly TaggedField[] | undefined): number {
  if (tags === undefined) return 0;
  let n = 0;
  for (const t of tags) n += sizeUvarint(t.tag) + sizeUvarint(t.data.length) + t.data.length;
  return n;
}

/**
 * Writes the unknown tagged fields whose tag is below `below`, starting at index `from`;
 * returns the next index. Called before each known tag so the output stays sorted by tag.
 */
export function writeUnknownTagsBelow(w: Writer, tags: readonly TaggedField[] | undefined, from: number, below: number): number {
  const list = tags ?? NO_TAGS;
  let i = from;
  for (; i < list.length && list[i]!.tag < below; i++) {
    const t = list[i]!;
    w.uvarint(t.tag);
    w.uvarint(t.data.length);
    w.raw(t.data);
  }
  return i;
}
