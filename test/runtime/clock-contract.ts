/**
 * The Clock contract: timers fire in due order and never early, cancel works, intervals
 * repeat, monotonicMs never goes back. Run against the system clock (real waits) and the
 * manual clock (advanced by the test); loops are bounded by ticks, not time.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../packages/runtime/src/clock.ts';

export interface ClockFixture {
  readonly clock: Clock;
  /** Lets `ms` of the clock's time pass (really waits for the system clock). */
  advance(ms: number): Promise<void>;
}

export function defineClockContract(name: string, makeClock: () => ClockFixture): void {
  describe(`Clock contract: ${name}`, () => {
    it('fires timers in due order, not creation order, and not before due', async () => {
      const { clock, advance } = makeClock();
      const fired: string[] = [];
      clock.setTimeout(() => fired.push('late'), 40);
      clock.setTimeout(() => fired.push('early'), 10);
      expect(fired).toEqual([]);
      await advance(80);
      expect(fired).toEqual(['early', 'late']);
    });

    it('cancel prevents a timer; an interval repeats until cancelled', async () => {
      const { clock, advance } = makeClock();
      let timeouts = 0;
      let ticks = 0;
      clock.setTimeout(() => timeouts++, 10).cancel();
      const t0 = clock.monotonicMs();
      const interval = clock.setInterval(() => ticks++, 10);
      // Bounded by ticks, not by time, so a stalled (loaded) machine only makes it slower.
      for (let i = 0; i < 500 && ticks < 3; i++) await advance(10);
      interval.cancel();
      const elapsedMs = clock.monotonicMs() - t0;
      const seen = ticks;
      await advance(40);
      expect(timeouts).toBe(0);
      expect(seen).toBeGreaterThanOrEqual(3);
      expect(seen).toBeLessThanOrEqual(Math.floor(elapsedMs / 10) + 1);
      expect(ticks).toBe(seen);
    });

    it('sleep resolves after the delay; monotonicMs never goes back; wallMs is an epoch integer', async () => {
      const { clock, advance } = makeClock();
      const t0 = clock.monotonicMs();
      let done = false;
      void clock.sleep(20).then(() => (done = true));
      await advance(40);
      expect(done).toBe(true);
      const t1 = clock.monotonicMs();
      expect(t1 - t0).toBeGreaterThanOrEqual(20);
      const wall = clock.wallMs();
      expect(Number.isInteger(wall)).toBe(true);
      expect(wall).toBeGreaterThan(1_600_000_000_000);
    });
  });
}
