import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@samsa/codec';
import { FollowerReplica } from './follower-replica.ts';
import type { ReplicaFetchResponse } from './replica-fetch.ts';
import { ModelLog } from './testing/model-log.ts';

/** A follower of broker 1 at epoch 5 over a log holding `epochs` (one record per entry). */
function follower(epochs: readonly number[] = [], leaderEpoch = 5) {
  const log = new ModelLog();
  log.append(epochs.map((epoch, i) => ({ epoch, value: i })));
  const fr = new FollowerReplica({ localBrokerId: 2, localIncarnation: 'i2', topic: 't', partition: 3, leaderId: 1, leaderEpoch, log, fetchBackoffMs: 100 });
  return { fr, log };
}

function response(more: Partial<ReplicaFetchResponse> = {}): ReplicaFetchResponse {
  return { errorCode: ErrorCode.NONE, highWatermark: 0, logStartOffset: 0, divergingEpoch: null, records: null, ...more };
}

/** The log's view methods bound to it, to override some. */
const bind = (log: ModelLog) => ({
  logEndOffset: () => log.logEndOffset(),
  logStartOffset: () => log.logStartOffset(),
  highWatermark: () => log.highWatermark(),
  latestEpoch: () => log.latestEpoch(),
  endOffsetFor: (epoch: number) => log.endOffsetFor(epoch),
});

const records = (firstOffset: number, lastOffset: number, maxLeaderEpoch = 5) => ({ firstOffset, lastOffset, sizeBytes: 100, maxLeaderEpoch });

describe('FollowerReplica fetches', () => {
  it('asks from its log end offset with its last epoch, one fetch at a time', () => {
    const { fr } = follower([3, 3, 4]);
    const req = fr.nextFetch(0)!;
    expect(req).toMatchObject({ topic: 't', partition: 3, replicaId: 2, replicaIncarnation: 'i2', fetchOffset: 3, lastFetchedEpoch: 4, currentLeaderEpoch: 5, logStartOffset: 0 });
    expect(fr.nextFetch(0)).toBeNull();
    expect(fr.handleResponse(req.fetchId + 1, response(), 0)).toEqual([]); // not the fetch in flight
    expect(fr.inFlight).toBe(true);
    fr.handleResponse(req.fetchId, response({ highWatermark: 3 }), 0);
    expect(fr.nextFetch(0)!.fetchId).toBe(req.fetchId + 1);
  });

  it('sends no last fetched epoch from an empty log', () => {
    expect(follower().fr.nextFetch(0)).toMatchObject({ fetchOffset: 0, lastFetchedEpoch: null });
  });

  it('appends records, follows the leader HW capped by its own LEO, and the leader log start', () => {
    const { fr, log } = follower([5, 5]);
    const req = fr.nextFetch(0)!;
    const actions = fr.handleResponse(req.fetchId, response({ highWatermark: 9, logStartOffset: 1, records: records(2, 4) }), 0);
    expect(actions).toEqual([
      { type: 'append', fromOffset: 2, lastOffset: 4 },
      { type: 'updateHighWatermark', highWatermark: 5 },
      { type: 'advanceLogStart', logStartOffset: 1 },
    ]);
    log.hw = 5;
    log.append([{ epoch: 5, value: 2 }, { epoch: 5, value: 3 }, { epoch: 5, value: 4 }]);
    const next = fr.nextFetch(0)!;
    expect(next.fetchOffset).toBe(5);
    expect(fr.handleResponse(next.fetchId, response({ highWatermark: 5 }), 0)).toEqual([]);
  });

  it('never moves its log start back nor past the high watermark', () => {
    const log = new ModelLog();
    log.append([{ epoch: 5, value: 0 }, { epoch: 5, value: 1 }, { epoch: 5, value: 2 }]);
    const view = { ...bind(log), logStartOffset: () => 2, highWatermark: () => 1 };
    const fr = new FollowerReplica({ localBrokerId: 2, topic: 't', partition: 0, leaderId: 1, leaderEpoch: 5, log: view });
    const req = fr.nextFetch(0)!;
    // Leader HW 1 < local log start 2 < leader log start 3: nothing to advance.
    expect(fr.handleResponse(req.fetchId, response({ highWatermark: 1, logStartOffset: 3 }), 0)).toEqual([]);
  });

  it('drops a response when its log moved since the fetch was sent', () => {
    const { fr, log } = follower([5, 5]);
    const req = fr.nextFetch(0)!;
    log.truncateTo(1);
    expect(fr.handleResponse(req.fetchId, response({ highWatermark: 9, records: records(2, 4) }), 0)).toEqual([]);
    expect(fr.nextFetch(0)!.fetchOffset).toBe(1);
  });

  it('accepts records that start after the fetch offset (a compacted leader log has gaps)', () => {
    const { fr } = follower([5, 5]);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ highWatermark: 9, records: records(6, 8) }), 0)).toEqual([
      { type: 'append', fromOffset: 2, lastOffset: 8 },
      { type: 'updateHighWatermark', highWatermark: 9 },
    ]);
  });

  it('refuses an invalid response with a back-off, losing nothing', () => {
    for (const bad of [
      response({ records: records(0, 1) }), // ends before the fetch offset 2
      response({ records: records(4, 3) }), // first after last
      response({ records: records(2, 3, 6) }), // an epoch above the leader's
      response({ highWatermark: -1 }),
      response({ divergingEpoch: { epoch: 4, endOffset: 1 }, records: records(2, 3) }),
      response({ divergingEpoch: { epoch: -1, endOffset: 1 } }),
    ]) {
      const { fr } = follower([5, 5]);
      const req = fr.nextFetch(0)!;
      const actions = fr.handleResponse(req.fetchId, bad, 10);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ type: 'backoff', untilMs: 110 });
      expect(fr.nextFetch(109)).toBeNull();
      expect(fr.nextFetch(110)).not.toBeNull();
    }
  });
});

describe('FollowerReplica truncation by diverging epoch (KIP-320)', () => {
  it('truncates to the smaller end of the epoch both logs know', () => {
    // Local: epoch 3 at 0-2, epoch 4 at 3-6. The leader's epoch 4 ends at 5.
    const { fr } = follower([3, 3, 3, 4, 4, 4, 4]);
    const req = fr.nextFetch(0)!;
    expect(req.lastFetchedEpoch).toBe(4);
    expect(fr.handleResponse(req.fetchId, response({ divergingEpoch: { epoch: 4, endOffset: 5 } }), 0)).toEqual([{ type: 'truncateTo', offset: 5 }]);
  });

  it('truncates to its own end of the epoch when that is the smaller', () => {
    // Local: epoch 3 at 0-2, epoch 6 at 3-4. The leader never had 6; its epoch 3 ends at 4.
    const { fr } = follower([3, 3, 3, 6, 6], 7);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ divergingEpoch: { epoch: 3, endOffset: 4 } }), 0)).toEqual([{ type: 'truncateTo', offset: 3 }]);
  });

  it('steps back to the largest epoch below one it does not know, then asks again', () => {
    // Local: epoch 2 at 0-1, epoch 6 at 2-3. Leader: epoch 4 ends at 3 (we never had 4).
    const { fr, log } = follower([2, 2, 6, 6], 7);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ divergingEpoch: { epoch: 4, endOffset: 3 } }), 0)).toEqual([{ type: 'truncateTo', offset: 2 }]);
    log.truncateTo(2);
    expect(fr.nextFetch(0)).toMatchObject({ fetchOffset: 2, lastFetchedEpoch: 2 });
  });

  it('truncates at its own end when only an epoch entry is to drop (the offset equals the LEO)', () => {
    // Local: epoch 4 at 0-2, then epoch 6 assigned at 3 without records (it led briefly).
    const { fr, log } = follower([4, 4, 4], 7);
    log.assign(6, 3);
    const req = fr.nextFetch(0)!;
    expect(req.lastFetchedEpoch).toBe(6);
    expect(fr.handleResponse(req.fetchId, response({ divergingEpoch: { epoch: 4, endOffset: 3 } }), 0)).toEqual([{ type: 'truncateTo', offset: 3 }]);
    log.truncateTo(3);
    expect(fr.nextFetch(0)).toMatchObject({ fetchOffset: 3, lastFetchedEpoch: 4 });
  });

  it('truncates to the leader end when it knows no epoch at or below the one answered', () => {
    const { fr } = follower([6, 6, 6], 7);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ divergingEpoch: { epoch: 2, endOffset: 1 } }), 0)).toEqual([{ type: 'truncateTo', offset: 0 }]);
  });
});

describe('FollowerReplica errors', () => {
  it('waits for new metadata when its leader epoch is fenced', () => {
    const { fr } = follower([5]);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, highWatermark: -1, logStartOffset: -1 }), 0)).toMatchObject([{ type: 'awaitMetadata' }]);
    expect(fr.awaitingMetadata).toBe(true);
    expect(fr.nextFetch(1_000_000)).toBeNull();
  });

  it('backs off on UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER (briefly: the leader is setting up) and other errors and a failed fetch (fully)', () => {
    for (const [errorCode, untilMs] of [[ErrorCode.UNKNOWN_LEADER_EPOCH, 100], [ErrorCode.NOT_LEADER_OR_FOLLOWER, 100], [ErrorCode.UNKNOWN_SERVER_ERROR, 150]] as const) {
      const { fr } = follower([5]);
      const req = fr.nextFetch(0)!;
      expect(fr.handleResponse(req.fetchId, response({ errorCode, highWatermark: -1, logStartOffset: -1 }), 50)).toMatchObject([{ type: 'backoff', untilMs }]);
      expect(fr.nextFetch(untilMs - 1)).toBeNull();
      expect(fr.nextFetch(untilMs)).not.toBeNull();
    }
    const { fr } = follower([5]);
    const req = fr.nextFetch(0)!;
    expect(fr.fetchFailed(req.fetchId + 1, 0)).toEqual([]);
    expect(fr.fetchFailed(req.fetchId, 7)).toMatchObject([{ type: 'backoff', untilMs: 107 }]);
  });

  it('truncates fully to the leader log start on OFFSET_OUT_OF_RANGE', () => {
    const { fr } = follower([5, 5]);
    const req = fr.nextFetch(0)!;
    expect(fr.handleResponse(req.fetchId, response({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 40 }), 0)).toEqual([{ type: 'truncateFully', startOffset: 40 }]);
    const again = follower([5, 5]).fr;
    const r2 = again.nextFetch(0)!;
    expect(again.handleResponse(r2.fetchId, response({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: -1 }), 0)).toMatchObject([{ type: 'backoff' }]);
  });

  it('refuses to follow itself or an invalid epoch', () => {
    const log = new ModelLog();
    expect(() => new FollowerReplica({ localBrokerId: 1, topic: 't', partition: 0, leaderId: 1, leaderEpoch: 0, log })).toThrow(/itself/);
    expect(() => new FollowerReplica({ localBrokerId: 2, topic: 't', partition: 0, leaderId: 1, leaderEpoch: -1, log })).toThrow(RangeError);
    expect(() => new FollowerReplica({ localBrokerId: 2, topic: 't', partition: 0, leaderId: -1, leaderEpoch: 3, log })).toThrow(/no leader/);
  });
});
