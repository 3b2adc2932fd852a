/**
 * The bounds @samsa/log's `resolveLogConfig` (log-config.ts) puts on the storage configs
 * the broker maps onto it, where they are stricter than Kafka's own validators. The topic
 * and broker config definitions validate with these, so a value the log cannot take is
 * refused where it is set (CreateTopics, AlterConfigs, IncrementalAlterConfigs,
 * server.properties), with the key named, and never reaches the log to be clamped or to
 * fail a log open.
 *
 * Invariant (log-limits.test.ts checks it against the log itself): `resolveLogConfig`
 * accepts each minimum and rejects one below it.
 *
 *   key                                     Kafka 3.9 min   Samsa (the log's) min
 *   segment.bytes / log.segment.bytes       14              64   (a record batch header + a record)
 *   segment.index.bytes /
 *     log.index.size.max.bytes              4               12   (one time-index slot)
 *   segment.ms / log.roll.ms                1               1
 */

/** Smallest `segment.bytes` the log accepts (its SEGMENT_BYTES_MIN). */
export const LOG_SEGMENT_BYTES_MIN = 64;
/** Smallest `segment.index.bytes` the log accepts: one 12-byte time-index slot. */
export const LOG_SEGMENT_INDEX_BYTES_MIN = 12;
/** Smallest `segment.ms` the log accepts. */
export const LOG_SEGMENT_MS_MIN = 1;
