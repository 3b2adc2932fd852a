// Barrel for src/legacy-messages: Kafka message sets of magic 0 and 1 — reading and
// validating them, building them, and converting to and from record batch v2.
// See README.md for the layout and invariants.
export {
  LEGACY_MAGIC_V0,
  LEGACY_MAGIC_V1,
  MESSAGE_OVERHEAD_V0,
  MESSAGE_OVERHEAD_V1,
  LOG_OVERHEAD_BYTES as LEGACY_LOG_OVERHEAD_BYTES,
  legacyEntryBytes,
} from './constants.ts';
export { crc32 } from './crc32.ts';
export { readMessageSet, validateMessageSet, LEGACY_RECORDS_MAX_DEFAULT } from './read-message-set.ts';
export type { LegacyInvalid, LegacyInvalidReason, LegacyRecord, MessageSetRead, ReadMessageSetOptions } from './read-message-set.ts';
export { buildMessageSet } from './build-message-set.ts';
export type { BuildMessageSetOptions, LegacyRecordInput } from './build-message-set.ts';
export { upConvertMessageSet } from './up-convert.ts';
export type { UpConverted, UpConvertOptions } from './up-convert.ts';
export { downConvertRecordBatches } from './down-convert.ts';
export type { DownConverted, DownConvertOptions, DownConvertStop } from './down-convert.ts';
