/**
 * The process's open-file limit, and the max.connections default it implies.
 *
 * Every connection holds a file descriptor, and so does every open segment file. With
 * connections alone allowed to exhaust the descriptors (max.connections above the limit),
 * accept fails inside the runtime (EMFILE): libuv then accepts and drops each newcomer, so
 * honest clients see their connections closed and retry with backoff, for as long as the
 * connections holding the descriptors stay (idle ones: connections.max.idle.ms, 10 min),
 * and a log roll cannot open its files either. Capping max.connections at half the limit
 * keeps the refusal in the broker (counted, logged, and able to evict an idle connection)
 * and leaves the other half to the logs. An explicit max.connections is never changed.
 * Runtime-free: the caller reads /proc/self/limits (Linux) its own way.
 */

/** The soft "Max open files" limit from the text of /proc/<pid>/limits; null if absent or unlimited. */
export function parseOpenFilesLimit(procLimits: string): number | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(procLimits);
  if (m === null || m[1] === 'unlimited') return null;
  const soft = Number(m[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : null;
}

/** max.connections to use by default under an open-file limit: half of it, at most `configured`. */
export function maxConnectionsUnder(openFilesMax: number, configured: number): number {
  return Math.min(configured, Math.max(1, Math.floor(openFilesMax / 2)));
}
