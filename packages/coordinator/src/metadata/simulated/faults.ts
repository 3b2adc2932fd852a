/**
 * Faults of the simulated metadata store: what may go wrong with a request, decided by
 * the store's seeded Random (per-fault probabilities) or forced by a test (hooks that arm
 * the next request). Off unless configured: with the default config and no hook armed,
 * every decision is "no fault" and no random number is drawn.
 *
 * The faults, each the failure a real etcd client sees:
 * - `unavailable`: the request is refused before it reaches the store; nothing happens.
 * - `unknown-outcome` (writes: put, delete, txn, revokeLease): the request times out; it
 *   was applied or it was not, one or the other in full, each with probability 1/2.
 * - early lease expiry: a keepAlive finds its lease expired, as if the earlier keepalives
 *   had been lost; the lease's keys are deleted (one revision) and keepAlive rejects
 *   `lease-not-found`.
 * - watch drop: a delivered batch is the last one; the watch then fails `unavailable` and
 *   the caller resumes from its last revision + 1.
 * - slow response: the answer (or error) arrives `1..slowResponseMsMax` ms later on the
 *   clock. The request itself takes effect at once, in call order.
 *
 * Armed hooks are consumed one per matching request; at most `armedFaultsMax` wait.
 */

import type { Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';

export interface SimulatedFaultConfig {
  /** Per request (any kind, watch start included): refused `unavailable`. */
  readonly unavailableProbability?: number;
  /** Per write (put, delete, txn, revokeLease): times out, applied or not. */
  readonly unknownOutcomeProbability?: number;
  /** Per keepAlive: the lease has already expired. */
  readonly leaseEarlyExpiryProbability?: number;
  /** Per delivered watch batch: the watch drops right after it. */
  readonly watchDropProbability?: number;
  /** Per request: the answer is late. */
  readonly slowResponseProbability?: number;
  /** Upper bound of a slow answer's delay. Default 2000. */
  readonly slowResponseMsMax?: number;
}

/** Whether a write is refused, applied and lost, or not applied and lost. */
export type WriteFault = 'none' | 'unavailable' | 'unknown-applied' | 'unknown-not-applied';

export const armedFaultsMax = 1024;

export class FaultInjector {
  private config: Required<SimulatedFaultConfig>;
  private readonly random: Random;
  private readonly armedUnavailable: number[] = [];
  private readonly armedUnknown: boolean[] = [];
  private fixedDelayMs = 0;

  constructor(random: Random, config: SimulatedFaultConfig = {}) {
    this.random = random;
    this.config = normalize(config);
  }

  configure(config: SimulatedFaultConfig): void {
    this.config = normalize(config);
  }

  /** The next `count` requests are refused `unavailable`. */
  armUnavailable(count = 1): void {
    for (let i = 0; i < count; i++) this.arm(this.armedUnavailable, 1);
  }

  /** The next write times out; `applied` says whether it took effect. */
  armUnknownOutcome(applied: boolean): void {
    this.arm(this.armedUnknown, applied);
  }

  /** Every answer from now on is `delayMs` late (0 turns it off); random slowness adds to it. */
  setResponseDelayMs(delayMs: number): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new MetadataStoreError('invalid-argument', `bad delay ${delayMs}`);
    this.fixedDelayMs = delayMs;
  }

  /** For a read, a lease call or a watch start: refused or not. */
  refuse(): boolean {
    if (this.armedUnavailable.shift() !== undefined) return true;
    return this.chance(this.config.unavailableProbability);
  }

  write(): WriteFault {
    if (this.refuse()) return 'unavailable';
    const armed = this.armedUnknown.shift();
    if (armed !== undefined) return armed ? 'unknown-applied' : 'unknown-not-applied';
    if (!this.chance(this.config.unknownOutcomeProbability)) return 'none';
    return this.random.next() < 0.5 ? 'unknown-applied' : 'unknown-not-applied';
  }

  leaseExpiresEarly(): boolean {
    return this.chance(this.config.leaseEarlyExpiryProbability);
  }

  watchDrops(): boolean {
    return this.chance(this.config.watchDropProbability);
  }

  responseDelayMs(): number {
    const extra = this.chance(this.config.slowResponseProbability) ? this.random.int(1, this.config.slowResponseMsMax + 1) : 0;
    return this.fixedDelayMs + extra;
  }

  private chance(probability: number): boolean {
    return probability > 0 && this.random.next() < probability;
  }

  private arm<T>(queue: T[], item: T): void {
    if (queue.length >= armedFaultsMax) throw new MetadataStoreError('invalid-argument', `more than ${armedFaultsMax} armed faults`);
    queue.push(item);
  }
}

function normalize(c: SimulatedFaultConfig): Required<SimulatedFaultConfig> {
  const p = (name: string, v: number | undefined): number => {
    const x = v ?? 0;
    if (!(x >= 0 && x <= 1)) throw new MetadataStoreError('invalid-argument', `${name} must be in [0, 1], got ${v}`);
    return x;
  };
  const slowMax = c.slowResponseMsMax ?? 2000;
  if (!(Number.isInteger(slowMax) && slowMax >= 1)) throw new MetadataStoreError('invalid-argument', `slowResponseMsMax must be a positive integer, got ${slowMax}`);
  return {
    unavailableProbability: p('unavailableProbability', c.unavailableProbability),
    unknownOutcomeProbability: p('unknownOutcomeProbability', c.unknownOutcomeProbability),
    leaseEarlyExpiryProbability: p('leaseEarlyExpiryProbability', c.leaseEarlyExpiryProbability),
    watchDropProbability: p('watchDropProbability', c.watchDropProbability),
    slowResponseProbability: p('slowResponseProbability', c.slowResponseProbability),
    slowResponseMsMax: slowMax,
  };
}
