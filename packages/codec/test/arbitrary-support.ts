/**
 * Building blocks for the generated arbitraries (test/generated/arbitraries.ts): one
 * arbitrary per spec scalar type, short lists, and unknown tagged fields.
 * Sizes are capped so a round trip of any message stays small.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { uuidToString } from '../src/primitives/uuid.ts';
import type { TaggedField } from '../src/kafka/message-codec.ts';

const scalars: Record<string, Arbitrary<unknown>> = {
  bool: fc.boolean(),
  int8: fc.integer({ min: -128, max: 127 }),
  int16: fc.integer({ min: -32768, max: 32767 }),
  uint16: fc.integer({ min: 0, max: 0xffff }),
  int32: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  uint32: fc.integer({ min: 0, max: 0xffff_ffff }),
  int64: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -2, max: 2 })),
  float64: fc.double(),
  uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidToString(b, 0)),
  string: fc.string({ maxLength: 12, unit: 'binary' }),
  bytes: fc.uint8Array({ maxLength: 12 }),
  records: fc.uint8Array({ maxLength: 24 }),
};

export function arbScalar(type: string): Arbitrary<any> {
  const a = scalars[type];
  if (a === undefined) throw new Error(`no arbitrary for ${type}`);
  return a;
}

export function arbList<T>(elem: Arbitrary<T>): Arbitrary<T[]> {
  return fc.array(elem, { maxLength: 3 });
}

/** Sorted, unique tags that no known field of the struct uses. */
export function arbUnknownTags(known: readonly number[]): Arbitrary<TaggedField[] | undefined> {
  const tag = fc.integer({ min: 0, max: 300 }).filter((t) => !known.includes(t));
  const list = fc
    .uniqueArray(fc.record({ tag, data: fc.uint8Array({ maxLength: 6 }) }), { maxLength: 3, selector: (t) => t.tag })
    .map((ts) => (ts.length === 0 ? undefined : ts.sort((a, b) => a.tag - b.tag)));
  return fc.option(list, { nil: undefined });
}
