// The record-level API for embedders: see record-log.ts (start there), record-cursor.ts,
// record-log-manager.ts, and the package README.
export { openRecordLog, RecordLog, RecordLogLockedError } from './record-log.ts';
export type { AppendOptions as RecordAppendOptions, CompactionOptions, MaintenanceResult, ReadOptions as RecordReadOptions, RecordLogOptions, RetentionOptions } from './record-log.ts';
export { RecordCursor } from './record-cursor.ts';
export type { StreamOptions } from './record-cursor.ts';
export { openRecordLogs, RecordLogManager } from './record-log-manager.ts';
export type { AppendAck, Durability, LogRecord, RecordHeaderValue, RecordToAppend } from './log-record.ts';
export { bytesSerde, jsonSerde, stringSerde } from './serde.ts';
export type { Serde } from './serde.ts';
export { AppenderFailedError } from './group-commit-appender.ts';
export { RecordDecodeError } from './record-reader.ts';
