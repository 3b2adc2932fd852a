/**
 * LeadershipEvents: become-leader / become-follower notices from the partition layer.
 *
 * The topic registry (cluster mode) emits one event per change of this broker's role for
 * a local replica, or of its leader epoch, in the order of the views that caused them:
 * - `leader`: this broker now leads the partition at `leaderEpoch` (also emitted for every
 *   partition this broker leads when it first opens, and after a lease was renewed);
 * - `follower`: it stopped leading (another leader, offline, lease lost, or the topic was
 *   deleted: then `deleted` is true).
 * On a single broker (no cluster) nothing is emitted: it leads every partition always.
 *
 * Listeners run synchronously and must not throw (a throw is caught and dropped, so one
 * listener cannot stop the others). Bounded: at most `LISTENERS_MAX` listeners.
 */

export interface LeadershipChange {
  readonly topic: string;
  readonly partition: number;
  readonly role: 'leader' | 'follower';
  readonly leaderEpoch: number;
  /** True when the replica went away with its topic (role is then `follower`). */
  readonly deleted: boolean;
}

export const LISTENERS_MAX = 64;

export class LeadershipEvents {
  readonly #listeners = new Set<(change: LeadershipChange) => void>();

  subscribe(listener: (change: LeadershipChange) => void): () => void {
    if (this.#listeners.size >= LISTENERS_MAX) throw new RangeError(`more than ${LISTENERS_MAX} leadership listeners`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: LeadershipChange): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch {
        // See the file comment: a listener's failure is its own.
      }
    }
  }
}
