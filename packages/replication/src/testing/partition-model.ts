/**
 * PartitionModel: one partition replicated on three brokers, driven step by step for the
 * property tests. The real LeaderReplica and FollowerReplica run on ModelLogs; the model
 * supplies what the broker and the controller would: a network of fetches and
 * AlterPartition requests delivered in any order or dropped, partition states delivered to
 * each broker in order with any delay, a controller that applies ISR proposals by
 * compare-and-set (refusing members whose incarnation changed, KIP-903), elects leaders
 * from its ISR, and removes a crashed broker from the ISR (its restart loses an unflushed
 * suffix of its log).
 *
 * Every check throws ModelViolation with what broke; `check()` runs the invariants that
 * hold after any step, `converge()` heals the network and runs the liveness check.
 */
import { ErrorCode } from '@samsa/codec';
import { FollowerReplica, type FollowerAction } from '../follower-replica.ts';
import { LeaderReplica } from '../leader-replica.ts';
import type { AlterPartitionResult, IsrProposal, LeaderAction, LeaderReplicaConfig } from '../leader-types.ts';
import type { PartitionState } from '../partition-state.ts';
import type { ReplicaFetchRequest, ReplicaFetchResponse } from '../replica-fetch.ts';
import { ModelLog, type ModelRecord } from './model-log.ts';

export const BROKERS = [1, 2, 3] as const;
export const MIN_ISR = 2;
export const LAG_TIME_MAX_MS = 1000;
export const FETCH_BACKOFF_MS = 100;
export const PROPOSAL_BACKOFF_MS = 50;
const CONVERGE_ROUNDS_MAX = 300;

export class ModelViolation extends Error {
  override readonly name = 'ModelViolation';
}

export interface PlantedBugs {
  readonly leader?: LeaderReplicaConfig['plantedBug'];
  readonly follower?: 'skip-truncation';
}

type Msg =
  | { readonly k: 'fetch'; readonly to: number; readonly from: number; readonly inst: number; readonly req: ReplicaFetchRequest }
  | { readonly k: 'resp'; readonly to: number; readonly inst: number; readonly fetchId: number; readonly resp: ReplicaFetchResponse; readonly records: readonly ModelRecord[] }
  | { readonly k: 'alter'; readonly from: number; readonly inst: number; readonly proposal: IsrProposal }
  | { readonly k: 'alterResp'; readonly to: number; readonly inst: number; readonly proposalId: number; readonly result: AlterPartitionResult };

interface LeaderRole {
  readonly lr: LeaderReplica;
  readonly inst: number;
  hw: number;
  /** Per follower: the last time it provably had every record (lower bound of Kafka's lastCaughtUpTimeMs). */
  readonly fullCatchUpMs: Map<number, number>;
  readonly waiters: Map<number, { offset: number; value: number }>;
}

interface Node {
  readonly id: number;
  readonly log: ModelLog;
  incarnation: number;
  leader: LeaderRole | null;
  follower: { readonly fr: FollowerReplica; readonly inst: number } | null;
  states: PartitionState[];
}

export interface StepStats {
  acked: number;
  truncations: number;
  elections: number;
  crashes: number;
  proposalsApplied: number;
}

export class PartitionModel {
  nowMs = 0;
  ctl: PartitionState = { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [...BROKERS], isr: [...BROKERS] };
  readonly nodes = new Map<number, Node>();
  readonly net: Msg[] = [];
  readonly acked: { offset: number; value: number }[] = [];
  readonly stats: StepStats = { acked: 0, truncations: 0, elections: 0, crashes: 0, proposalsApplied: 0 };
  readonly #incarnations = new Map<number, number>();
  readonly #bugs: PlantedBugs;
  #nextInst = 1;
  #nextRequestId = 1;
  #nextValue = 1;

  constructor(bugs: PlantedBugs = {}) {
    this.#bugs = bugs;
    for (const id of BROKERS) {
      this.nodes.set(id, { id, log: new ModelLog(), incarnation: 0, leader: null, follower: null, states: [] });
      this.#incarnations.set(id, 0);
    }
    for (const n of this.nodes.values()) this.#applyState(n, this.ctl);
  }

  node(id: number): Node {
    return this.nodes.get(id)!;
  }

  /** A producer sends one record with acks=all to a broker that believes it leads. */
  produce(brokerId: number): void {
    const n = this.node(brokerId);
    if (n.leader === null) return;
    const lr = n.leader.lr;
    if (lr.checkEnoughReplicas(MIN_ISR) !== ErrorCode.NONE) return;
    const value = this.#nextValue++;
    n.log.append([{ epoch: lr.leaderEpoch, value }]);
    this.#leaderActions(n, lr.localAppended(n.log.logEndOffset()));
    const requestId = this.#nextRequestId++;
    n.leader.waiters.set(requestId, { offset: n.log.logEndOffset() - 1, value });
    this.#leaderActions(n, lr.awaitHighWatermark(requestId, n.log.logEndOffset(), -1, MIN_ISR));
  }

  /** A follower sends its next fetch, if it has one to send. */
  fetch(brokerId: number): void {
    const n = this.node(brokerId);
    if (n.follower === null) return;
    const req = n.follower.fr.nextFetch(this.nowMs);
    if (req !== null) this.net.push({ k: 'fetch', to: n.follower.fr.leaderId, from: n.id, inst: n.follower.inst, req });
  }

  /** Delivers message `index` (mod the count); `choice` picks record counts and controller outcomes. */
  deliver(index: number, choice: number, recordsMax = 1 + (choice % 4)): void {
    if (this.net.length === 0) return;
    const [msg] = this.net.splice(index % this.net.length, 1);
    const m = msg!;
    if (m.k === 'fetch') this.#serveFetch(m, recordsMax);
    else if (m.k === 'resp') {
      const n = this.node(m.to);
      if (n.follower?.inst === m.inst) this.#followerActions(n, n.follower.fr.handleResponse(m.fetchId, m.resp, this.nowMs), m.resp, m.records);
    } else if (m.k === 'alter') this.#controllerAlter(m, choice);
    else {
      const n = this.node(m.to);
      if (n.leader?.inst === m.inst) this.#leaderActions(n, n.leader.lr.alterPartitionCompleted(m.proposalId, m.result, this.nowMs));
    }
  }

  /** Loses message `index`: the sender's timeout reports it failed / of unknown outcome. */
  drop(index: number): void {
    if (this.net.length === 0) return;
    const [m] = this.net.splice(index % this.net.length, 1);
    if (m!.k === 'fetch' || m!.k === 'resp') {
      const n = this.node(m!.k === 'fetch' ? m!.from : m!.to);
      const fetchId = m!.k === 'fetch' ? m!.req.fetchId : m!.fetchId;
      if (n.follower?.inst === m!.inst) this.#followerActions(n, n.follower.fr.fetchFailed(fetchId, this.nowMs), null, []);
    } else {
      const n = this.node(m!.k === 'alter' ? m!.from : m!.to);
      const proposalId = m!.k === 'alter' ? m!.proposal.proposalId : m!.proposalId;
      if (n.leader?.inst === m!.inst) this.#leaderActions(n, n.leader.lr.alterPartitionCompleted(proposalId, { outcome: 'unknown' }, this.nowMs));
    }
  }

  /** The broker applies the oldest partition state waiting in its view. */
  deliverState(brokerId: number): void {
    const n = this.node(brokerId);
    const s = n.states.shift();
    if (s !== undefined) this.#applyState(n, s);
  }

  tick(ms: number): void {
    this.nowMs += ms;
    for (const n of this.nodes.values()) if (n.leader !== null) this.#leaderActions(n, n.leader.lr.tick(this.nowMs));
  }

  /** A broker other than the controller's leader crashes and restarts with its log cut at `cut` (mod LEO + 1). */
  crash(brokerId: number, cut: number): void {
    if (brokerId === this.ctl.leader) return;
    const n = this.node(brokerId);
    this.stats.crashes++;
    n.log.truncateTo(cut % (n.log.logEndOffset() + 1));
    n.incarnation++;
    this.#incarnations.set(n.id, n.incarnation);
    for (let i = this.net.length - 1; i >= 0; i--) {
      const m = this.net[i]!;
      const touches = m.k === 'fetch' ? m.from === n.id || m.to === n.id : m.k === 'alter' ? m.from === n.id : m.to === n.id;
      if (touches) this.net.splice(i, 1);
    }
    n.leader = null;
    n.follower = null;
    n.states = [];
    // The controller fences the old incarnation: out of every ISR.
    if (this.ctl.isr.includes(n.id)) this.#write({ ...this.ctl, isr: this.ctl.isr.filter((id) => id !== n.id) });
    n.states = [];
    this.#applyState(n, this.ctl);
  }

  /** The controller elects a leader from its ISR (clean election), in a new leader epoch. */
  elect(choice: number): void {
    const leader = this.ctl.isr[choice % this.ctl.isr.length]!;
    this.stats.elections++;
    this.#write({ ...this.ctl, leader, leaderEpoch: this.ctl.leaderEpoch + 1 });
  }

  /** Invariants after any step. */
  check(): void {
    const leaderNode = this.node(this.ctl.leader);
    const role = leaderNode.leader;
    if (role !== null && role.lr.leaderEpoch === this.ctl.leaderEpoch) {
      const hw = role.lr.highWatermark;
      for (const id of this.ctl.isr) {
        const log = this.node(id).log;
        if (log.logEndOffset() < hw) throw new ModelViolation(`HW ${hw} of leader ${leaderNode.id} above the LEO ${log.logEndOffset()} of ISR member ${id}`);
        const diff = firstDifference(log.records, leaderNode.log.records, hw);
        if (diff >= 0) throw new ModelViolation(`ISR member ${id} differs from leader ${leaderNode.id} at offset ${diff} below HW ${hw}`);
      }
      // A replica the leader accepted a fetch from (its truncation is done) holds a prefix of the leader's log.
      for (const id of BROKERS) {
        if (id === leaderNode.id || (role.lr.follower(id)?.logEndOffset ?? -1) < 0) continue;
        const log = this.node(id).log;
        const diff = firstDifference(log.records, leaderNode.log.records, log.logEndOffset());
        if (diff >= 0) throw new ModelViolation(`replica ${id}, past its truncation, differs from leader ${leaderNode.id} at offset ${diff}`);
      }
    }
    for (const a of this.acked) {
      const r = leaderNode.log.records[a.offset];
      if (r?.value !== a.value) throw new ModelViolation(`acked record ${a.value} at offset ${a.offset} lost on leader ${leaderNode.id} (has ${r?.value})`);
    }
    for (const n of this.nodes.values()) {
      if (n.log.hw > n.log.logEndOffset()) throw new ModelViolation(`broker ${n.id}: HW ${n.log.hw} above LEO ${n.log.logEndOffset()}`);
    }
  }

  /** Heals everything, lets replication run, and checks that the replicas converge. */
  converge(): void {
    for (const n of this.nodes.values()) while (n.states.length > 0) this.deliverState(n.id);
    while (this.net.length > 0) this.drop(0);
    for (let round = 0; round < CONVERGE_ROUNDS_MAX; round++) {
      this.tick(FETCH_BACKOFF_MS + 1);
      for (const n of this.nodes.values()) while (n.states.length > 0) this.deliverState(n.id);
      for (const id of BROKERS) this.fetch(id);
      for (let i = 0; i < 100 && this.net.length > 0; i++) this.deliver(0, 1, 1000);
      this.check();
      if (this.#converged()) {
        const waiting = this.node(this.ctl.leader).leader!.waiters.size;
        if (waiting > 0) throw new ModelViolation(`${waiting} acks=all waiters unanswered with HW = LEO`);
        return;
      }
    }
    const logs = BROKERS.map((id) => `${id}: ${this.node(id).log.records.map((r) => `${r.epoch}/${r.value}`).join(',')}`).join(' | ');
    throw new ModelViolation(`no convergence after ${CONVERGE_ROUNDS_MAX} rounds: ctl ${JSON.stringify(this.ctl)}; ${logs}`);
  }

  #converged(): boolean {
    const leader = this.node(this.ctl.leader);
    if (leader.leader === null || leader.leader.lr.leaderEpoch !== this.ctl.leaderEpoch) return false;
    if (this.ctl.isr.length !== BROKERS.length || leader.leader.lr.highWatermark !== leader.log.logEndOffset()) return false;
    return BROKERS.every((id) => {
      const log = this.node(id).log;
      return log.logEndOffset() === leader.log.logEndOffset() && firstDifference(log.records, leader.log.records, log.logEndOffset()) < 0;
    });
  }

  #write(state: PartitionState): void {
    this.ctl = { ...state, partitionEpoch: this.ctl.partitionEpoch + 1 };
    for (const n of this.nodes.values()) n.states.push(this.ctl);
  }

  #serveFetch(m: Extract<Msg, { k: 'fetch' }>, recordsMax: number): void {
    const n = this.node(m.to);
    let resp: ReplicaFetchResponse = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, logStartOffset: -1, divergingEpoch: null, records: null };
    let records: ModelRecord[] = [];
    if (n.leader !== null) {
      const { decision, actions } = n.leader.lr.followerFetch({ ...m.req, replicaId: m.from }, this.nowMs);
      if (decision.errorCode === ErrorCode.NONE && decision.divergingEpoch === null) {
        if (m.req.fetchOffset >= decision.logEndOffset) n.leader.fullCatchUpMs.set(m.from, this.nowMs);
        records = n.log.records.slice(m.req.fetchOffset, m.req.fetchOffset + recordsMax);
      }
      this.#leaderActions(n, actions);
      resp = {
        errorCode: decision.errorCode,
        highWatermark: n.leader.lr.highWatermark,
        logStartOffset: decision.logStartOffset,
        divergingEpoch: decision.divergingEpoch,
        records:
          records.length === 0
            ? null
            : { firstOffset: m.req.fetchOffset, lastOffset: m.req.fetchOffset + records.length - 1, sizeBytes: records.length, maxLeaderEpoch: Math.max(...records.map((r) => r.epoch)) },
      };
    }
    this.net.push({ k: 'resp', to: m.from, inst: m.inst, fetchId: m.req.fetchId, resp, records });
  }

  #controllerAlter(m: Extract<Msg, { k: 'alter' }>, choice: number): void {
    const p = m.proposal;
    const reply = (result: AlterPartitionResult): void => {
      this.net.push({ k: 'alterResp', to: m.from, inst: m.inst, proposalId: p.proposalId, result });
    };
    if (!p.isr.includes(m.from) || p.isr.some((id) => !this.ctl.replicas.includes(id))) throw new ModelViolation(`malformed proposal ${JSON.stringify(p)}`);
    if (p.leaderEpoch !== this.ctl.leaderEpoch || p.partitionEpoch !== this.ctl.partitionEpoch) return reply({ outcome: 'stale' });
    for (const id of p.isr) {
      if (this.ctl.isr.includes(id)) continue;
      if (p.incarnations[id] !== String(this.#incarnations.get(id))) return reply({ outcome: 'not-applied' });
    }
    const outcome = choice % 4;
    if (outcome === 0) return reply({ outcome: 'not-applied' });
    this.stats.proposalsApplied++;
    this.#write({ ...this.ctl, isr: p.isr });
    reply(outcome === 3 ? { outcome: 'unknown' } : { outcome: 'applied', state: this.ctl });
  }

  #applyState(n: Node, s: PartitionState): void {
    if (n.leader !== null) {
      // Same epoch: the ISR in force changes (or a stale state is ignored). Else it resigns.
      this.#leaderActions(n, n.leader.lr.partitionStateChanged(s, this.nowMs));
      if (!n.leader.lr.resigned) return;
      n.leader = null;
    }
    if (s.leader === n.id) {
      n.follower = null;
      n.log.assign(s.leaderEpoch, n.log.logEndOffset());
      const lr = new LeaderReplica({
        localBrokerId: n.id,
        state: s,
        logEndOffset: n.log.logEndOffset(),
        logStartOffset: 0,
        highWatermark: n.log.hw,
        epochHistory: n.log,
        nowMs: this.nowMs,
        config: { replicaLagTimeMaxMs: LAG_TIME_MAX_MS, isrProposalBackoffMs: PROPOSAL_BACKOFF_MS, plantedBug: this.#bugs.leader },
      });
      n.leader = { lr, inst: this.#nextInst++, hw: lr.highWatermark, fullCatchUpMs: new Map(s.isr.map((id) => [id, this.nowMs])), waiters: new Map() };
      this.#leaderActions(n, lr.tick(this.nowMs));
      return;
    }
    if (n.follower !== null && n.follower.fr.leaderId === s.leader && n.follower.fr.leaderEpoch === s.leaderEpoch) return;
    n.follower = {
      fr: new FollowerReplica({
        localBrokerId: n.id,
        localIncarnation: String(n.incarnation),
        topic: 't',
        partition: 0,
        leaderId: s.leader,
        leaderEpoch: s.leaderEpoch,
        log: n.log,
        fetchBackoffMs: FETCH_BACKOFF_MS,
        plantedBug: this.#bugs.follower,
      }),
      inst: this.#nextInst++,
    };
  }

  #leaderActions(n: Node, actions: readonly LeaderAction[]): void {
    const role = n.leader!;
    for (const a of actions) {
      if (a.type === 'hwAdvanced') {
        if (a.highWatermark <= role.hw) throw new ModelViolation(`broker ${n.id} HW went from ${role.hw} to ${a.highWatermark} in epoch ${role.lr.leaderEpoch}`);
        role.hw = a.highWatermark;
        n.log.hw = a.highWatermark;
      } else if (a.type === 'proposeIsr') {
        for (const id of role.lr.partitionState.isr) {
          if (a.proposal.isr.includes(id)) continue;
          const since = role.fullCatchUpMs.get(id);
          if (since !== undefined && this.nowMs - since <= LAG_TIME_MAX_MS) {
            throw new ModelViolation(`broker ${n.id} proposed ${id} out of the ISR ${this.nowMs - since} ms after it had every record (lag max ${LAG_TIME_MAX_MS})`);
          }
        }
        this.net.push({ k: 'alter', from: n.id, inst: role.inst, proposal: a.proposal });
      } else if (a.type === 'completeWaiter') {
        const w = role.waiters.get(a.requestId);
        if (w === undefined) throw new ModelViolation(`waiter ${a.requestId} completed twice or never registered`);
        role.waiters.delete(a.requestId);
        if (a.errorCode !== ErrorCode.NONE) continue;
        for (const id of this.ctl.isr) {
          if (this.node(id).log.records[w.offset]?.value !== w.value) throw new ModelViolation(`acks=all record ${w.value} at ${w.offset} acked by ${n.id} but ISR member ${id} lacks it`);
        }
        this.acked.push(w);
        this.stats.acked++;
      }
    }
  }

  #followerActions(n: Node, actions: readonly FollowerAction[], resp: ReplicaFetchResponse | null, records: readonly ModelRecord[]): void {
    for (const a of actions) {
      if (a.type === 'truncateTo') {
        this.stats.truncations++;
        n.log.truncateTo(a.offset);
      } else if (a.type === 'truncateFully') n.log.truncateFully(a.startOffset);
      else if (a.type === 'append') {
        const first = resp!.records!.firstOffset;
        n.log.append(records.slice(a.fromOffset - first, a.lastOffset - first + 1));
      } else if (a.type === 'updateHighWatermark') n.log.hw = a.highWatermark;
    }
  }
}

/** First offset below `limit` where the two logs differ (one lacking it counts), or -1. */
function firstDifference(a: readonly ModelRecord[], b: readonly ModelRecord[], limit: number): number {
  for (let o = 0; o < limit; o++) {
    if (a[o]?.epoch !== b[o]?.epoch || a[o]?.value !== b[o]?.value) return o;
  }
  return -1;
}
