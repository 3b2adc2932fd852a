/**
 * Fetch session ids and epochs (KIP-227), Kafka's `FetchMetadata` constants.
 *
 * - Session id 0 (INVALID_SESSION_ID) names no session; live sessions have ids in
 *   [1, 2^31 - 1).
 * - Epoch 0 (INITIAL_EPOCH) asks for a full fetch that opens a session; epoch -1
 *   (FINAL_EPOCH) asks for a full fetch without one (and closes the named session).
 * - A session's epochs count 1, 2, …, 2^31 - 1 and wrap to 1, never to 0 or below: 0 and
 *   -1 mean "full fetch" and must never be taken for an incremental one.
 */
export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

const INT32_MAX = 0x7fff_ffff;

/** The epoch after `epoch`: FINAL_EPOCH stays final; 2^31 - 1 wraps to 1. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch >= INT32_MAX) return 1;
  return epoch + 1;
}

/** Full fetch: the request names every partition it wants (no incremental session used). */
export function isFullFetch(epoch: number): boolean {
  return epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH;
}
