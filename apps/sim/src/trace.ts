/**
 * Trace: the run's event trace, kept as a running SHA-256 (never as a list: a long run
 * would not fit), plus counters. Every delivered network chunk (its bytes), every fault
 * and every client observation goes in, with the simulated time; the same seed must give
 * the same hash, byte for byte (the determinism check compares two runs' hashes).
 *
 * `recent` keeps the last `recentEventsMax` event lines for a failure report.
 */
import { createHash, type Hash } from 'node:crypto';

export const recentEventsMax = 2000;

export class Trace {
  readonly #hash: Hash = createHash('sha256');
  readonly #now: () => number;
  readonly recent: string[] = [];
  events = 0;
  faults = 0;
  checks = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** An event line (a fault, an observation, a lifecycle step). */
  event(line: string): void {
    this.events++;
    const entry = `${this.#now().toFixed(3)} ${line}`;
    this.#hash.update(entry);
    this.#hash.update('\n');
    this.recent.push(entry);
    if (this.recent.length > recentEventsMax) this.recent.shift();
  }

  /** A fault injected by the simulator (counted apart). */
  fault(line: string): void {
    this.faults++;
    this.event(`FAULT ${line}`);
  }

  /** Bytes delivered on a connection (hashed, not kept). */
  bytes(connectionId: number, chunk: Uint8Array): void {
    this.events++;
    this.#hash.update(`${this.#now().toFixed(3)} data ${connectionId} ${chunk.byteLength}\n`);
    this.#hash.update(chunk);
  }

  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}
