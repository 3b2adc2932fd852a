/**
 * runBounded: runs `task` once for every item with at most `concurrency` tasks in flight
 * (a fixed pool of workers pulling the next item), so work over 20,000 logs overlaps its
 * I/O without holding 20,000 pending operations and their buffers at once.
 *
 * Items are started in order. A task that rejects does not stop the others; once every
 * started task has settled, the first rejection is rethrown. Callers that must not fail
 * as a whole catch inside `task`. Single event loop.
 */
export async function runBounded<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency ${concurrency}`);
  let next = 0;
  let failure: { readonly error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()));
  if (failure !== null) throw (failure as { readonly error: unknown }).error;
}
