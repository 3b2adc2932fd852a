/**
 * Kafka compression codec ids: the low 3 bits of a record batch's `attributes`
 * (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5-7 are invalid on the wire).
 * The record-batch code keeps a structurally identical copy of the union type.
 */

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = 0 | 1 | 2 | 3 | 4;

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof NAMES)[number];

/** The codec's name as Kafka spells it in `compression.type` ("gzip"...). */
export function compressionName(type: CompressionType): CompressionName {
  const name = NAMES[type];
  if (name === undefined) throw new RangeError(`unknown compression type ${String(type)}`);
  return name;
}

/** True for the five ids Kafka defines; batches with 5..7 must be rejected. */
export function isCompressionType(value: number): value is CompressionType {
  return Number.isInteger(value) && value >= 0 && value <= 4;
}
