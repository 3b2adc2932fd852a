import { describe, expect, it } from 'vitest';
import { FollowerProgress } from './follower-progress.ts';

describe('FollowerProgress (Kafka Replica.updateFetchState)', () => {
  it('is caught up now when it asks for nothing the leader lacks', () => {
    const p = new FollowerProgress(2, 0);
    p.updateFetchState(10, 0, 'a', 500, 10);
    expect(p).toMatchObject({ logEndOffset: 10, lastCaughtUpTimeMs: 500, lastFetchTimeMs: 500, lastFetchLeaderLogEndOffset: 10, incarnation: 'a' });
  });

  it('is caught up as of its previous fetch when it reached the leader LEO of that fetch', () => {
    const p = new FollowerProgress(2, 0);
    p.updateFetchState(5, 0, null, 100, 10); // behind: not caught up (previous LEO unknown, time 0)
    expect(p.lastCaughtUpTimeMs).toBe(0);
    p.updateFetchState(10, 0, null, 300, 20); // reached 10, the LEO at its fetch at 100
    expect(p.lastCaughtUpTimeMs).toBe(100);
    p.updateFetchState(15, 0, null, 400, 25); // not 20: unchanged
    expect(p.lastCaughtUpTimeMs).toBe(100);
  });

  it('never moves lastCaughtUpTimeMs back, and judges the lag', () => {
    const p = new FollowerProgress(2, 1000);
    p.updateFetchState(10, 0, null, 200, 10);
    expect(p.lastCaughtUpTimeMs).toBe(1000);
    expect(p.isCaughtUp(10, 5000, 100)).toBe(true); // has everything
    expect(p.isCaughtUp(11, 1100, 100)).toBe(true);
    expect(p.isCaughtUp(11, 1101, 100)).toBe(false);
  });
});
