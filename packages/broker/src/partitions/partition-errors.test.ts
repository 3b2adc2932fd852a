// Partition maps the log's append and read errors to Kafka error codes by class
// (@samsa/log's LogError subclasses), never by a look-alike `code` property or message:
// an error that merely carries `code: 'record-too-large'` is not a RecordTooLargeError.
import { ErrorCode } from '@samsa/codec';
import { InvalidRecordBatchError, InvalidRecordError, LogNoSpaceError, OffsetOutOfRangeError, RecordTooLargeError, StaleLeaderEpochError } from '@samsa/log';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../config/server-config.ts';
import { effectiveTopicConfig } from '../config/topic-config.ts';
import { batchOf } from '../testing/requests.ts';
import type { AppendResult, ReadResult } from '@samsa/log';
import type { PartitionLog } from './partition-log.ts';
import { Partition } from './partition.ts';

/** A log whose append and read throw `thrown`. */
function failingLog(thrown: unknown): PartitionLog {
  return {
    logStartOffset: 0,
    logEndOffset: 1,
    highWatermark: 1,
    sizeBytes: 0,
    isOffline: false,
    append: (): Promise<AppendResult> => Promise.reject(thrown),
    read: (): Promise<ReadResult> => Promise.reject(thrown),
    offsetForTimestamp: () => Promise.resolve(null),
    segmentInfos: () => Promise.reject(thrown),
    endOffsetForEpoch: () => ({ leaderEpoch: -1, endOffset: -1 }),
    truncateTo: () => Promise.reject(thrown),
    appendAsFollower: (): Promise<AppendResult> => Promise.reject(thrown),
    updateHighWatermark: () => 1,
    assignEpochStartOffset: () => Promise.reject(thrown),
    latestEpoch: () => null,
    truncateFullyAndStartAt: () => Promise.reject(thrown),
    onAppend: () => () => {},
    deleteRecordsBefore: () => Promise.resolve(0),
    waitForData: () => Promise.resolve(false),
    close: () => Promise.resolve(),
  };
}

function partitionOver(thrown: unknown): Partition {
  const server = parseServerConfig({ overrides: ['log.dirs=/data'] });
  return new Partition('t', 0, failingLog(thrown), effectiveTopicConfig(server, {}, {}));
}

describe('Partition: log errors cross by class', () => {
  it('maps each @samsa/log error class to its Kafka code', async () => {
    const cases: Array<[unknown, number]> = [
      [new RecordTooLargeError(10, 5), ErrorCode.MESSAGE_TOO_LARGE],
      [new InvalidRecordBatchError('bad-crc', 0), ErrorCode.CORRUPT_MESSAGE],
      [new InvalidRecordBatchError('bad-record-framing', 0), ErrorCode.INVALID_RECORD],
      [new LogNoSpaceError('/data/t-0', 'append'), ErrorCode.KAFKA_STORAGE_ERROR],
      [new StaleLeaderEpochError(2, 3), ErrorCode.NOT_LEADER_OR_FOLLOWER],
    ];
    for (const [thrown, code] of cases) {
      expect((await partitionOver(thrown).produce(batchOf(['a']))).errorCode).toBe(code);
    }
    const rejected = await partitionOver(new InvalidRecordError(0, [{ batchIndex: 1, message: 'no key' }])).produce(batchOf(['a', 'b']));
    expect(rejected).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: 'no key' }] });
    expect((await partitionOver(new OffsetOutOfRangeError(0, 0, 1)).fetch(0, 1024, true)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('answers KAFKA_STORAGE_ERROR for an error that only looks like a log error', async () => {
    for (const code of ['record-too-large', 'invalid-record', 'log-closed', 'record-batch-too-large']) {
      const lookalike = Object.assign(new Error(`not a LogError (${code})`), { code });
      expect((await partitionOver(lookalike).produce(batchOf(['a']))).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    const lookalike = Object.assign(new Error('not a LogError'), { code: 'offset-out-of-range' });
    expect((await partitionOver(lookalike).fetch(0, 1024, true)).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  });
});
