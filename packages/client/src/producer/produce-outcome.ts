/**
 * produceOutcome: what the producer does with one partition's answer to a Produce request
 * (the Java client's Sender.completeBatch + TransactionManager.canRetry, non-transactional).
 *
 * | answer                                  | idempotent                              | not idempotent |
 * |-----------------------------------------|-----------------------------------------|----------------|
 * | NONE                                    | done                                    | done           |
 * | DUPLICATE_SEQUENCE_NUMBER               | done, offsets unknown (-1)              | fail           |
 * | OUT_OF_ORDER_SEQUENCE_NUMBER, an earlier batch still unacknowledged | retry (it is a consequence) | fail |
 * | OUT_OF_ORDER_SEQUENCE_NUMBER, the first unacknowledged batch | retry after an epoch bump (a real gap) | fail |
 * | UNKNOWN_PRODUCER_ID                     | retry after an epoch bump               | fail           |
 * | retriable (table), time left            | retry                                   | retry          |
 * | anything else, or no time left          | fail (+ epoch bump: its sequence is lost) | fail         |
 *
 * "Retry" also asks for a metadata refresh (leader moved, topic not there yet, connection
 * lost); the caller does it. Pure: a table, so a property test can check the producer's
 * model against it.
 */
import { ErrorCode, errorInfo } from '@samsa/codec/wire';

export type ProduceOutcome =
  | { readonly kind: 'done'; readonly offsetsKnown: boolean }
  | { readonly kind: 'retry'; readonly bumpEpoch: boolean }
  | { readonly kind: 'fail'; readonly bumpEpoch: boolean };

export interface OutcomeContext {
  readonly idempotent: boolean;
  /** The batch has the lowest sequence its partition has not had acknowledged. */
  readonly firstUnacked: boolean;
  /** The batch's delivery timeout has not passed. */
  readonly timeLeft: boolean;
}

export function produceOutcome(errorCode: number, c: OutcomeContext): ProduceOutcome {
  if (errorCode === ErrorCode.NONE) return { kind: 'done', offsetsKnown: true };
  if (c.idempotent) {
    if (errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) return { kind: 'done', offsetsKnown: false };
    if (errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || errorCode === ErrorCode.UNKNOWN_PRODUCER_ID) {
      const bumpEpoch = errorCode === ErrorCode.UNKNOWN_PRODUCER_ID || c.firstUnacked;
      return c.timeLeft ? { kind: 'retry', bumpEpoch } : { kind: 'fail', bumpEpoch: true };
    }
  }
  if (errorInfo(errorCode).retriable && c.timeLeft) return { kind: 'retry', bumpEpoch: false };
  return { kind: 'fail', bumpEpoch: c.idempotent };
}

/** A connection-level failure (lost connection, request timeout) for every batch of the request. */
export function transportFailureOutcome(c: OutcomeContext): ProduceOutcome {
  return c.timeLeft ? { kind: 'retry', bumpEpoch: false } : { kind: 'fail', bumpEpoch: c.idempotent };
}
