/**
 * The one clock timer an in-process store (simulated, local) keeps for lease expiry: it is
 * armed for the earliest lease deadline in its KvState and re-armed only when that deadline
 * changes. Invariant: at most one timer is pending, for `dueMs`; `cancel` leaves none.
 */
import type { Clock, TimerHandle } from '@samsa/runtime';
import type { KvState } from './kv-state.ts';

export class LeaseExpiryTimer {
  readonly #clock: Clock;
  readonly #kv: KvState;
  readonly #onDue: () => void;
  #timer: TimerHandle | null = null;
  #dueMs: number | null = null;

  /** `onDue` runs when the earliest deadline passes (the store drops the due leases, then calls `arm` again). */
  constructor(clock: Clock, kv: KvState, onDue: () => void) {
    this.#clock = clock;
    this.#kv = kv;
    this.#onDue = onDue;
  }

  /** Points the timer at the current earliest lease deadline (none when no lease is live). */
  arm(): void {
    const due = this.#kv.nextDeadlineMs();
    if (due === this.#dueMs) return;
    this.#timer?.cancel();
    this.#dueMs = due;
    this.#timer =
      due === null
        ? null
        : this.#clock.setTimeout(() => {
            this.#timer = null;
            this.#dueMs = null;
            this.#onDue();
          }, due - this.#clock.monotonicMs());
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#dueMs = null;
  }
}
