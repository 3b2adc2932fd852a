// ManualClock: time moves only on advance; timers fire in due order at their due time;
// timers scheduled by callbacks fire within the same advance when due; advanceAsync lets
// chained sleeps run; cancel and intervals behave.
import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.ts';

describe('ManualClock', () => {
  it('fires each timer with the clock at its due time, ties in creation order', () => {
    const clock = new ManualClock({ startWallMs: 1_000 });
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.monotonicMs()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.monotonicMs()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.monotonicMs()}`), 20);
    clock.advance(15);
    expect(seen).toEqual(['a@10']);
    expect(clock.monotonicMs()).toBe(15);
    expect(clock.wallMs()).toBe(1_015);
    clock.advance(5);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires timers scheduled by callbacks when they fall due inside the same advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.monotonicMs());
      clock.setTimeout(() => seen.push(clock.monotonicMs()), 5);
      clock.setTimeout(() => seen.push(clock.monotonicMs()), 50);
    }, 10);
    clock.advance(20);
    expect(seen).toEqual([10, 15]);
    expect(clock.nextDueMs()).toBe(60);
  });

  it('repeats intervals until cancelled, also from inside the callback', () => {
    const clock = new ManualClock();
    let ticks = 0;
    const handle = clock.setInterval(() => {
      ticks++;
      if (ticks === 3) handle.cancel();
    }, 10);
    clock.advance(100);
    expect(ticks).toBe(3);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('advanceAsync runs chained sleeps inside one advance; advance alone does not', async () => {
    const run = async (clock: ManualClock, marks: number[]) => {
      await clock.sleep(10);
      marks.push(clock.monotonicMs());
      await clock.sleep(10);
      marks.push(clock.monotonicMs());
    };
    const a = new ManualClock();
    const aMarks: number[] = [];
    void run(a, aMarks);
    await a.advanceAsync(25);
    expect(aMarks).toEqual([10, 20]);

    const b = new ManualClock();
    const bMarks: number[] = [];
    void run(b, bMarks);
    b.advance(25);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The continuation ran after advance() returned: it sees the target time, and its
    // second sleep was scheduled from there.
    expect(bMarks).toEqual([25]);
    expect(b.nextDueMs()).toBe(35);
  });

  it('treats negative and non-finite delays as zero', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, -5);
    clock.setTimeout(() => fired++, Number.NaN);
    clock.advance(0);
    expect(fired).toBe(2);
  });

  it('advanceToNext jumps straight to the next due timer', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.monotonicMs()), 500);
    clock.setTimeout(() => seen.push(clock.monotonicMs()), 500);
    clock.setTimeout(() => seen.push(clock.monotonicMs()), 9_000);
    expect(clock.advanceToNext()).toBe(true);
    expect(seen).toEqual([500, 500]);
    expect(clock.advanceToNext()).toBe(true);
    expect(seen).toEqual([500, 500, 9_000]);
    expect(clock.advanceToNext()).toBe(false);
    expect(clock.monotonicMs()).toBe(9_000);
  });

  it('refuses to move backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});
