/**
 * GroupState: a classic-protocol group member's membership, as a pure state machine
 * (Java's AbstractCoordinator states and its handling of JoinGroup, SyncGroup and Heartbeat
 * answers). The I/O lives in group-member.ts; this file decides what an answer means.
 *
 *   unjoined ──join sent──▶ joining ──JoinGroup NONE──▶ syncing ──SyncGroup NONE──▶ stable
 *       ▲                     │  ▲ MEMBER_ID_REQUIRED (keeps the id the answer gave)     │
 *       │                     │  └─ coordinator errors, REBALANCE_IN_PROGRESS ◀── join sent ┤ heartbeat REBALANCE_IN_PROGRESS: stays stable, effect 'rejoin'
 *       └── UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / leave (id and generation forgotten) ◀┘
 *   any ──FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, auth, … ──▶ fatal (absorbing)
 *
 * Invariants (checked by group-state.prop.test.ts against a model):
 * - `generationId` ≥ 0 only with a member id; forgetting the member id forgets it too.
 * - 'stable' only after the SyncGroup of the JoinGroup that gave the current generation.
 * - Each request carries the `ticket` of the state that sent it; an answer with an older
 *   ticket is stale and changes nothing (a late answer cannot undo a newer transition).
 * - `fatal` is absorbing: no answer leaves it.
 * - Commits may carry the generation only while 'stable' (`commitGeneration`).
 */
import { ErrorCode } from '@samsa/codec/wire';

export type MembershipPhase = 'unjoined' | 'joining' | 'syncing' | 'stable' | 'fatal';

export interface GroupState {
  readonly phase: MembershipPhase;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  /** Bumped by every transition that sends a request; answers carry the ticket they were sent under. */
  readonly ticket: number;
  /** The error that made the state fatal. */
  readonly fatalErrorCode: number | null;
}

/** What the member must do after a transition. */
export type GroupEffect = 'none' | 'rejoin' | 'rediscover' | 'lost' | 'fatal' | 'assigned';

export type GroupEvent =
  | { readonly type: 'join-sent' }
  | { readonly type: 'join-answer'; readonly ticket: number; readonly errorCode: number; readonly memberId: string; readonly generationId: number; readonly leaderId: string; readonly protocolName: string | null }
  | { readonly type: 'sync-answer'; readonly ticket: number; readonly errorCode: number }
  | { readonly type: 'heartbeat-answer'; readonly ticket: number; readonly errorCode: number }
  | { readonly type: 'left' };

export const INITIAL_GROUP_STATE: GroupState = { phase: 'unjoined', memberId: '', generationId: -1, protocolName: null, leaderId: null, ticket: 0, fatalErrorCode: null };

const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const RESET_ERRORS: ReadonlySet<number> = new Set([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION]);

export interface Transition {
  readonly state: GroupState;
  readonly effect: GroupEffect;
}

export function groupTransition(state: GroupState, event: GroupEvent): Transition {
  if (state.phase === 'fatal') return { state, effect: 'none' };
  switch (event.type) {
    case 'join-sent':
      return { state: { ...state, phase: 'joining', ticket: state.ticket + 1 }, effect: 'none' };
    case 'left':
      return { state: { ...INITIAL_GROUP_STATE, ticket: state.ticket + 1 }, effect: 'none' };
    case 'join-answer':
      if (event.ticket !== state.ticket || state.phase !== 'joining') return { state, effect: 'none' };
      if (event.errorCode === ErrorCode.NONE) {
        return { state: { ...state, phase: 'syncing', memberId: event.memberId, generationId: event.generationId, leaderId: event.leaderId, protocolName: event.protocolName, ticket: state.ticket + 1 }, effect: 'none' };
      }
      if (event.errorCode === ErrorCode.MEMBER_ID_REQUIRED) return { state: { ...state, phase: 'unjoined', memberId: event.memberId }, effect: 'rejoin' };
      return failed(state, event.errorCode, false);
    case 'sync-answer':
      if (event.ticket !== state.ticket || state.phase !== 'syncing') return { state, effect: 'none' };
      if (event.errorCode === ErrorCode.NONE) return { state: { ...state, phase: 'stable' }, effect: 'assigned' };
      return failed(state, event.errorCode, false);
    case 'heartbeat-answer':
      if (event.ticket !== state.ticket || state.phase !== 'stable' || event.errorCode === ErrorCode.NONE) return { state, effect: 'none' };
      // The group is rebalancing: stay stable (commits still carry this generation, as in
      // Java's onJoinPrepare) until the member sends its JoinGroup.
      if (event.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) return { state, effect: 'rejoin' };
      return failed(state, event.errorCode, true);
  }
}

/** Where an error answer leads; `owned` says whether the member holds an assignment it could lose. */
function failed(state: GroupState, errorCode: number, owned: boolean): Transition {
  if (RESET_ERRORS.has(errorCode)) {
    return { state: { ...state, phase: 'unjoined', memberId: '', generationId: -1, leaderId: null, ticket: state.ticket + 1 }, effect: owned ? 'lost' : 'rejoin' };
  }
  if (errorCode === ErrorCode.REBALANCE_IN_PROGRESS) return { state: { ...state, phase: 'unjoined', ticket: state.ticket + 1 }, effect: 'rejoin' };
  if (COORDINATOR_ERRORS.has(errorCode)) return { state: { ...state, phase: 'unjoined', ticket: state.ticket + 1 }, effect: 'rediscover' };
  return { state: { ...state, phase: 'fatal', fatalErrorCode: errorCode, ticket: state.ticket + 1 }, effect: 'fatal' };
}

/** The generation a commit may carry: the current one while stable, else none (-1). */
export function commitGeneration(state: GroupState): number {
  return state.phase === 'stable' ? state.generationId : -1;
}
