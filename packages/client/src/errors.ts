/**
 * The client's errors. Every failure a caller can expect is one of these classes, each
 * with a stable `code` and a `retriable` flag that says whether trying the same call again
 * (possibly after a metadata refresh) can succeed.
 *
 * - `KafkaError`: a broker answered with a Kafka error code; `retriable` comes from the
 *   codec's generated error table (Kafka's `RetriableException` subclasses).
 * - `KafkaTimeoutError`: a deadline passed (request timeout, `maxBlockMs`, `deliveryTimeoutMs`).
 * - `KafkaAbortError`: the caller's AbortSignal fired. Never retriable.
 * - `KafkaConnectionError`: the socket could not be opened, closed, or was closed because
 *   the peer sent something malformed. Retriable: another connection may work.
 * - `UnsupportedVersionError`: client and broker share no version of an API. Not retriable.
 * - `KafkaStateError`: the client was used after `close()`, or a fatal producer state.
 *
 * Programmer errors (bad options, wrong argument types) are plain TypeError/RangeError.
 */
import { errorInfo } from '@samsa/codec/wire';

export type KafkaClientErrorCode = 'kafka' | 'timeout' | 'aborted' | 'connection' | 'unsupported-version' | 'state' | 'record-too-large';

export class KafkaClientError extends Error {
  override readonly name: string = 'KafkaClientError';
  readonly code: KafkaClientErrorCode;
  readonly retriable: boolean;
  constructor(code: KafkaClientErrorCode, message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retriable = retriable;
  }
}

/** A Kafka error code returned by a broker (never `NONE`). */
export class KafkaError extends KafkaClientError {
  override readonly name: string = 'KafkaError';
  /** Kafka's int16 error code (`ErrorCode.NOT_LEADER_OR_FOLLOWER` = 6 …). */
  readonly errorCode: number;
  /** Kafka's name of the code (`NOT_LEADER_OR_FOLLOWER`). */
  readonly errorName: string;
  constructor(errorCode: number, detail?: string) {
    const info = errorInfo(errorCode);
    super('kafka', `${info.name} (${errorCode}): ${detail ?? info.message}`, info.retriable);
    this.errorCode = errorCode;
    this.errorName = info.name;
  }
}

export class KafkaTimeoutError extends KafkaClientError {
  override readonly name: string = 'KafkaTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('timeout', message, true, options);
  }
}

export class KafkaAbortError extends KafkaClientError {
  override readonly name: string = 'KafkaAbortError';
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('aborted', message, false, options);
  }
}

export class KafkaConnectionError extends KafkaClientError {
  override readonly name: string = 'KafkaConnectionError';
  /** `host:port` of the broker the connection went to. */
  readonly address: string;
  constructor(address: string, message: string, options?: { cause?: unknown }) {
    super('connection', `${address}: ${message}`, true, options);
    this.address = address;
  }
}

export class UnsupportedVersionError extends KafkaClientError {
  override readonly name: string = 'UnsupportedVersionError';
  constructor(message: string) {
    super('unsupported-version', message, false);
  }
}

export class KafkaStateError extends KafkaClientError {
  override readonly name: string = 'KafkaStateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('state', message, false, options);
  }
}

export class RecordTooLargeError extends KafkaClientError {
  override readonly name: string = 'RecordTooLargeError';
  constructor(message: string) {
    super('record-too-large', message, false);
  }
}

/** The error a fired AbortSignal stands for (its reason when that is already one of ours). */
export function abortErrorOf(signal: AbortSignal): KafkaClientError {
  const reason: unknown = signal.reason;
  if (reason instanceof KafkaClientError) return reason;
  return new KafkaAbortError(undefined, { cause: reason });
}

/** True when `error` is one of ours and says a retry may succeed. */
export function isRetriable(error: unknown): boolean {
  return error instanceof KafkaClientError && error.retriable;
}
