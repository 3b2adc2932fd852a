import { ErrorCode } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { produceOutcome, transportFailureOutcome } from './produce-outcome.ts';

const idem = { idempotent: true, firstUnacked: false, timeLeft: true };

describe('produceOutcome', () => {
  it('NONE is done; DUPLICATE_SEQUENCE is done without offsets for an idempotent producer', () => {
    expect(produceOutcome(ErrorCode.NONE, idem)).toEqual({ kind: 'done', offsetsKnown: true });
    expect(produceOutcome(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, idem)).toEqual({ kind: 'done', offsetsKnown: false });
    expect(produceOutcome(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, { ...idem, idempotent: false }).kind).toBe('fail');
  });

  it('OUT_OF_ORDER retries; the first unacked batch bumps the epoch (a real gap)', () => {
    expect(produceOutcome(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, idem)).toEqual({ kind: 'retry', bumpEpoch: false });
    expect(produceOutcome(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, { ...idem, firstUnacked: true })).toEqual({ kind: 'retry', bumpEpoch: true });
    expect(produceOutcome(ErrorCode.UNKNOWN_PRODUCER_ID, idem)).toEqual({ kind: 'retry', bumpEpoch: true });
    expect(produceOutcome(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, { ...idem, timeLeft: false })).toEqual({ kind: 'fail', bumpEpoch: true });
  });

  it('retriable errors retry while time is left; others fail', () => {
    for (const code of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.REQUEST_TIMED_OUT]) {
      expect(produceOutcome(code, idem)).toEqual({ kind: 'retry', bumpEpoch: false });
      expect(produceOutcome(code, { ...idem, timeLeft: false })).toEqual({ kind: 'fail', bumpEpoch: true });
    }
    expect(produceOutcome(ErrorCode.MESSAGE_TOO_LARGE, { ...idem, idempotent: false })).toEqual({ kind: 'fail', bumpEpoch: false });
    expect(produceOutcome(ErrorCode.TOPIC_AUTHORIZATION_FAILED, idem)).toEqual({ kind: 'fail', bumpEpoch: true });
    expect(transportFailureOutcome(idem)).toEqual({ kind: 'retry', bumpEpoch: false });
    expect(transportFailureOutcome({ ...idem, timeLeft: false })).toEqual({ kind: 'fail', bumpEpoch: true });
  });
});
