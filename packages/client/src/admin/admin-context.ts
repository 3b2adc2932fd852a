/**
 * AdminContext: what every admin operation is handed — routing (where requests go) and
 * the retrier (how often, how long to wait) — plus the small helpers that turn a broker's
 * per-item answer into an ItemOutcome with a KafkaError naming the item.
 */
import { ErrorCode, errorInfo } from '@samsa/codec/wire';
import { KafkaError } from '../errors.ts';
import type { Retrier, ItemOutcome } from './retry.ts';
import { failed, ok } from './retry.ts';
import type { AdminRouting } from './routing.ts';

export interface AdminContext {
  readonly routing: AdminRouting;
  readonly retrier: Retrier;
}

/** Every admin call takes one. */
export interface AdminCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * `value` when `errorCode` is NONE, else a KafkaError naming `what` (e.g. "topic orders").
 * UNKNOWN_TOPIC_OR_PARTITION is final here although Kafka calls it retriable: an admin
 * call naming a topic that does not exist wants to hear so at once (Java's AdminClient
 * fails deleteTopics, describeConfigs … the same way); leader-routed partition calls
 * handle it themselves.
 */
export function outcomeOf<R>(errorCode: number, errorMessage: string | null | undefined, what: string, value: () => R): ItemOutcome<R> {
  if (errorCode === ErrorCode.NONE) return ok(value());
  return failed(new KafkaError(errorCode, `${what}: ${errorMessage ?? defaultMessage(errorCode)}`), errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

/** Throws the KafkaError for a non-NONE code (a whole-response error). */
export function throwIfError(errorCode: number, errorMessage: string | null | undefined, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, `${what}: ${errorMessage ?? defaultMessage(errorCode)}`);
}

function defaultMessage(errorCode: number): string {
  return errorInfo(errorCode).message;
}

/** Groups `items` by the key `keyOf` gives (a broker id), keeping their order. */
export function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list === undefined) out.set(key, [item]);
    else list.push(item);
  }
  return out;
}
