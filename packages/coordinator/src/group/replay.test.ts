// Unit tests of the replay of `__consumer_offsets` (replay.ts).
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { GroupCoordinator } from '../index.ts';
import { Harness, TEST_CONFIG, seededRandom } from '../../test/group-harness.ts';
import { G, stableSingle } from '../../test/group-scenarios.ts';

describe('replay of __consumer_offsets', () => {
  it('rebuilds groups, members and offsets; COORDINATOR_LOAD_IN_PROGRESS until loadCompleted', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 11 }]);
    h.commit('s', '', -1, [{ topic: 'u', partition: 2, offset: 7 }]);
    const fresh = new Harness(TEST_CONFIG, 99, false);
    expect(fresh.response(fresh.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    expect(fresh.c.load(h.log)).toEqual({ records: h.log.length, skipped: 0 });
    fresh.nowMs = h.nowMs;
    fresh.apply(fresh.c.loadCompleted(fresh.nowMs));
    expect(fresh.c.describeState()).toEqual(h.c.describeState());
    expect(fresh.response(fresh.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NONE);
    expect(fresh.fetchOffset(G, 't', 0)).toBe(11);
    expect(() => fresh.c.load([])).toThrow();
  });

  it('skips unknown key versions and undecodable records', () => {
    const c = new GroupCoordinator({ random: seededRandom(1) });
    expect(c.load([{ key: new Uint8Array([0, 9, 0, 0]), value: null }, { key: new Uint8Array([0]), value: null }])).toEqual({ records: 2, skipped: 2 });
  });
});
