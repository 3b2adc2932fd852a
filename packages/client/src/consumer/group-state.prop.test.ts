// Property test of the classic group membership state machine (group-state.ts) against an
// independent model. Invariants checked after every event of a random sequence:
//  - the implementation and the model agree on phase, member id, generation and effect;
//  - a generation ≥ 0 is only held together with a member id;
//  - 'stable' is only reached by a SyncGroup NONE answering the sync of the last JoinGroup NONE;
//  - an answer carrying an older ticket changes nothing (stale answers are ignored);
//  - 'fatal' is absorbing;
//  - commits carry the generation only while stable.
import { ErrorCode } from '@samsa/codec/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commitGeneration, groupTransition, INITIAL_GROUP_STATE } from './group-state.ts';
import type { GroupEvent, GroupState } from './group-state.ts';

const CODES = [
  ErrorCode.NONE, ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
];

/** The model: the same rules written as a plain table over a mutable record. */
class Model {
  phase = 'unjoined';
  memberId = '';
  generation = -1;
  ticket = 0;

  apply(e: GroupEvent): string {
    if (this.phase === 'fatal') return 'none';
    if (e.type === 'join-sent') {
      this.phase = 'joining';
      this.ticket++;
      return 'none';
    }
    if (e.type === 'left') {
      Object.assign(this, { phase: 'unjoined', memberId: '', generation: -1 });
      this.ticket++;
      return 'none';
    }
    const expected = e.type === 'join-answer' ? 'joining' : e.type === 'sync-answer' ? 'syncing' : 'stable';
    if (e.ticket !== this.ticket || this.phase !== expected) return 'none';
    const code = e.errorCode;
    if (code === ErrorCode.NONE) {
      if (e.type === 'join-answer') {
        Object.assign(this, { phase: 'syncing', memberId: e.memberId, generation: e.generationId });
        this.ticket++;
        return 'none';
      }
      if (e.type === 'sync-answer') {
        this.phase = 'stable';
        return 'assigned';
      }
      return 'none';
    }
    if (e.type === 'join-answer' && code === ErrorCode.MEMBER_ID_REQUIRED) {
      Object.assign(this, { phase: 'unjoined', memberId: e.memberId });
      return 'rejoin';
    }
    if (e.type === 'heartbeat-answer' && code === ErrorCode.REBALANCE_IN_PROGRESS) return 'rejoin';
    this.ticket++;
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
      Object.assign(this, { phase: 'unjoined', memberId: '', generation: -1 });
      return e.type === 'heartbeat-answer' ? 'lost' : 'rejoin';
    }
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      this.phase = 'unjoined';
      return 'rejoin';
    }
    if (([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS] as number[]).includes(code)) {
      this.phase = 'unjoined';
      return 'rediscover';
    }
    this.phase = 'fatal';
    return 'fatal';
  }
}

/** An event whose ticket is the current one or `stale` behind it; weighted so runs reach 'stable' often. */
const eventArb = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant('join-sent') },
    { weight: 4, arbitrary: fc.constant('join-answer') },
    { weight: 4, arbitrary: fc.constant('sync-answer') },
    { weight: 4, arbitrary: fc.constant('heartbeat-answer') },
    { weight: 1, arbitrary: fc.constant('left') },
  ),
  stale: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  code: fc.oneof({ weight: 3, arbitrary: fc.constant(ErrorCode.NONE) }, { weight: 2, arbitrary: fc.constantFrom(...CODES) }),
  member: fc.constantFrom('m-1', 'm-2'),
  generation: fc.integer({ min: 0, max: 50 }),
});

interface RawEvent {
  readonly kind: string;
  readonly stale: number;
  readonly code: number;
  readonly member: string;
  readonly generation: number;
}

function toEvent(raw: RawEvent, ticket: number): GroupEvent {
  const t = ticket - raw.stale;
  switch (raw.kind) {
    case 'join-sent': return { type: 'join-sent' };
    case 'left': return { type: 'left' };
    case 'join-answer': return { type: 'join-answer', ticket: t, errorCode: raw.code, memberId: raw.member, generationId: raw.generation, leaderId: raw.member, protocolName: 'range' };
    case 'sync-answer': return { type: 'sync-answer', ticket: t, errorCode: raw.code };
    default: return { type: 'heartbeat-answer', ticket: t, errorCode: raw.code };
  }
}

describe('group membership state machine', () => {
  it('agrees with the model and keeps its invariants over random answer sequences', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 80 }), (raws) => {
        let state: GroupState = INITIAL_GROUP_STATE;
        const model = new Model();
        let joinedTicket = -1;
        for (const raw of raws) {
          const event = toEvent(raw, state.ticket);
          const before = state;
          const t = groupTransition(state, event);
          const effect = model.apply(event);
          state = t.state;
          expect({ phase: state.phase, memberId: state.memberId, generation: state.generationId, effect: t.effect }).toEqual({ phase: model.phase, memberId: model.memberId, generation: model.generation, effect });
          if (state.generationId >= 0) expect(state.memberId).not.toBe('');
          if (before.phase === 'fatal') expect(state).toBe(before);
          if (event.type !== 'join-sent' && event.type !== 'left' && event.ticket !== before.ticket) expect(state).toBe(before);
          if (event.type === 'join-answer' && state.phase === 'syncing' && before.phase === 'joining') joinedTicket = state.ticket;
          if (state.phase === 'stable' && before.phase !== 'stable') {
            expect(event.type).toBe('sync-answer');
            expect(joinedTicket).toBe(state.ticket);
          }
          expect(commitGeneration(state)).toBe(state.phase === 'stable' ? state.generationId : -1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('MEMBER_ID_REQUIRED keeps the id the coordinator gave for the next JoinGroup', () => {
    let s = groupTransition(INITIAL_GROUP_STATE, { type: 'join-sent' }).state;
    const t = groupTransition(s, { type: 'join-answer', ticket: s.ticket, errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'given', generationId: -1, leaderId: '', protocolName: null });
    expect(t.effect).toBe('rejoin');
    s = groupTransition(t.state, { type: 'join-sent' }).state;
    expect(s.memberId).toBe('given');
  });
});
