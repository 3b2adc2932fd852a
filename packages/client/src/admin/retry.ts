/**
 * The admin's retry loops. Every call is bounded: at most `retriesMax` retries, each after
 * a backoff of `retryBackoffMs · 2^n` capped at `retryBackoffMaxMs` (no jitter: the admin
 * has no Random, and its calls are not a herd). Only retriable errors are retried
 * (KafkaError with Kafka's retriable flag, timeouts, lost connections); an abort, a
 * non-retriable error or the last attempt's error goes to the caller as it is.
 *
 * `retrying` retries one request as a whole. `settleEach` retries a batch per item: a
 * request answers each item (topic, group, partition) with a value or an error, and only
 * the items with a retriable error go again, so an item that already took effect (a topic
 * created) is never sent twice. The first non-retriable item error fails the call; items
 * answered before it may have taken effect (as with Kafka's own tools).
 */
import type { Clock } from '@samsa/runtime';
import { ErrorCode } from '@samsa/codec/wire';
import { KafkaAbortError, KafkaClientError, KafkaError, abortErrorOf } from '../errors.ts';
import { raceAbort } from '../signals/race-abort.ts';
import type { ResolvedAdminOptions } from './admin-options.ts';

/** One item's answer: a value, or an error (`final` errors are not retried even when retriable). */
export type ItemOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: KafkaClientError; readonly final?: boolean };

export interface RetryHooks {
  /** Called before each retry with the error that caused it (refresh metadata, forget a coordinator …). */
  readonly onRetriable?: (error: KafkaClientError) => void;
}

export function ok<R>(value: R): ItemOutcome<R> {
  return { ok: true, value };
}

export function failed<R>(error: KafkaClientError, final = false): ItemOutcome<R> {
  return { ok: false, error, final };
}

/** True when a retry of the same call may succeed. */
export function shouldRetry(error: unknown): error is KafkaClientError {
  return error instanceof KafkaClientError && error.retriable && !(error instanceof KafkaAbortError);
}

export class Retrier {
  readonly #clock: Clock;
  readonly #options: ResolvedAdminOptions;

  constructor(clock: Clock, options: ResolvedAdminOptions) {
    this.#clock = clock;
    this.#options = options;
  }

  /** Runs `attempt` until it resolves, retrying retriable failures (bounded, with backoff). */
  async retrying<T>(attempt: () => Promise<T>, signal: AbortSignal | undefined, hooks: RetryHooks = {}): Promise<T> {
    for (let retry = 0; ; retry++) {
      if (signal?.aborted === true) throw abortErrorOf(signal);
      try {
        return await raceAbort(attempt(), signal);
      } catch (error) {
        if (!shouldRetry(error) || retry >= this.#options.retriesMax) throw error;
        hooks.onRetriable?.(error);
        await this.backoff(retry, signal);
      }
    }
  }

  /**
   * Settles every key: `round(pending)` answers each pending key (a key it leaves out is
   * an error); retriable answers go to the next round. Resolves with every key's value.
   */
  async settleEach<K, R>(
    keys: readonly K[],
    round: (pending: readonly K[]) => Promise<ReadonlyMap<K, ItemOutcome<R>>>,
    signal: AbortSignal | undefined,
    hooks: RetryHooks = {},
  ): Promise<Map<K, R>> {
    const done = new Map<K, R>();
    let pending = [...new Set(keys)];
    for (let retry = 0; pending.length > 0; retry++) {
      if (signal?.aborted === true) throw abortErrorOf(signal);
      const retriable: KafkaClientError[] = [];
      let answers: ReadonlyMap<K, ItemOutcome<R>>;
      try {
        answers = await raceAbort(round(pending), signal);
      } catch (error) {
        if (!shouldRetry(error) || retry >= this.#options.retriesMax) throw error;
        answers = new Map(pending.map((k) => [k, failed<R>(error)]));
      }
      const next: K[] = [];
      for (const key of pending) {
        const answer = answers.get(key);
        // A broker that leaves an item out of its answer breaks the protocol: not worth a retry.
        if (answer === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the broker did not answer for ${String(key)}`);
        if (answer.ok) {
          done.set(key, answer.value);
        } else if (answer.final === true || !shouldRetry(answer.error) || retry >= this.#options.retriesMax) {
          throw answer.error;
        } else {
          retriable.push(answer.error);
          next.push(key);
        }
      }
      pending = next;
      if (pending.length > 0) {
        for (const error of retriable) hooks.onRetriable?.(error);
        await this.backoff(retry, signal);
      }
    }
    return done;
  }

  /** Sleeps the backoff of retry number `retry` (0-based) on the Clock. */
  backoff(retry: number, signal: AbortSignal | undefined): Promise<void> {
    const waitMs = Math.min(this.#options.retryBackoffMaxMs, this.#options.retryBackoffMs * 2 ** Math.min(retry, 30));
    return raceAbort(this.#clock.sleep(waitMs), signal);
  }
}
