/**
 * raceAbort: `promise`, or a rejection with the signal's KafkaAbortError as soon as it
 * fires. The underlying work goes on (it may be shared with other callers); only this
 * caller stops waiting. The listener is removed when either side settles.
 */
import { abortErrorOf } from '../errors.ts';

export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortErrorOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortErrorOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
