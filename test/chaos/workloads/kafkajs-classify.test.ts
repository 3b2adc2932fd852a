/**
 * kafkajs-classify.ts: a deterministic broker rejection (also wrapped in
 * KafkaJSNumberOfRetriesExceeded) is `fail`; retriable answers, NOT_ENOUGH_REPLICAS,
 * timeouts, connection errors and non-errors are `info`. Built from KafkaJS's own error
 * classes, so a change in how KafkaJS wraps errors shows here.
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaJsError } from './kafkajs-classify.ts';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSRequestTimeoutError } = kafkajs;
const protocol = (type: string, code: number, retriable: boolean) => new KafkaJSProtocolError({ message: type, type, code, retriable } as never);

describe('classifyKafkaJsError', () => {
  it('fails a deterministic rejection, bare or wrapped', () => {
    expect(classifyKafkaJsError(protocol('MESSAGE_TOO_LARGE', 10, false))).toEqual({ kind: 'fail', error: 'MESSAGE_TOO_LARGE' });
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('INVALID_RECORD', 87, false), { retryCount: 3, retryTime: 100 });
    expect(classifyKafkaJsError(wrapped)).toEqual({ kind: 'fail', error: 'INVALID_RECORD' });
  });

  it('keeps retried and transport errors indeterminate', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('NOT_ENOUGH_REPLICAS', 19, true), { retryCount: 8, retryTime: 2000 });
    expect(classifyKafkaJsError(wrapped)).toEqual({ kind: 'info', error: 'NOT_ENOUGH_REPLICAS' });
    expect(classifyKafkaJsError(protocol('NOT_LEADER_OR_FOLLOWER', 6, true)).kind).toBe('info');
    expect(classifyKafkaJsError(new KafkaJSConnectionError('Connection error: ECONNREFUSED')).kind).toBe('info');
    expect(classifyKafkaJsError(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')).kind).toBe('info');
    expect(classifyKafkaJsError('a string').kind).toBe('info');
    expect(classifyKafkaJsError(undefined).kind).toBe('info');
  });
});
