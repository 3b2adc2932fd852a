// @samsa/log: the embeddable storage engine: segments, fixed-size offset and time indices,
// recovery, retention and compaction. Start at open-log.ts (openLog) and log.ts (Log).
export * from './errors.ts';
export * from './file-names.ts';
export * from './log-config.ts';
export * from './flush-policy.ts';
export type { LogLogger } from './logger.ts';
export { silentLogger } from './logger.ts';
export { OffsetIndex, OFFSET_INDEX_SLOT_BYTES, type OffsetPosition } from './offset-index.ts';
export { TimeIndex, TIME_INDEX_SLOT_BYTES, NO_TIMESTAMP, type TimestampOffset } from './time-index.ts';
export { FixedSlotIndex } from './fixed-slot-index.ts';
export * from './log-segment.ts';
export { SegmentSet } from './segment-set.ts';
export * from './checkpoint-file.ts';
export * from './leader-epoch-cache.ts';
export * from './log.ts';
export * from './open-log.ts';
export { scanBatches, type ScanResult, type BatchVisitor } from './batch-scanner.ts';
// The leader append's validation alone (for stores that keep batches elsewhere, e.g. a test double).
export { validateAppend, type LeaderChecks, type ValidatedAppend } from './append-batches.ts';
export { mkdirsDurably } from './file-io.ts';
// Retention, compaction and the LogManager (their own areas; see the files' headers).
export * from './retention/retention-plan.ts';
export * from './retention/enforce-retention.ts';
export * from './cleaner/log-cleaner.ts';
export * from './log-manager/log-manager.ts';
export * from './log-manager/handle-cache.ts';
export { runBounded } from './log-manager/run-bounded.ts';
export * from './record-log/index.ts';
