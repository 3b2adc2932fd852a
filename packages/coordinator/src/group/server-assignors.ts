/**
 * The server-side assignors of KIP-848 consumer groups (ConsumerGroupHeartbeat's
 * ServerAssignor): "uniform" (Kafka's default) and "range". Each computes a target
 * assignment — memberId → topicId → partitions — from the members' subscriptions and the
 * subscribed topics' partition counts. Pure and deterministic: the same input gives the
 * same output (members and topics are visited in sorted order), so a test or a replay can
 * recompute it.
 *
 * Invariants (checked by server-assignors.prop.test.ts):
 *   - every partition of a topic some member subscribes to is assigned to exactly one
 *     member, and only to a member subscribed to its topic;
 *   - uniform, when every member subscribes to the same topics: member partition counts
 *     differ by at most one; it is sticky (a member keeps its previous target partitions
 *     up to its quota), so a rebalance moves as few partitions as it can;
 *   - range: per topic, its subscribers (sorted by member id) get contiguous ranges whose
 *     sizes differ by at most one (co-partitioned topics land on the same members).
 *
 * Rack awareness (KIP-881) is not implemented: rack ids are kept for describe only.
 */
import type { SubscribedTopic, TopicAssignment } from './consumer-group.ts';

export interface AssignorMember {
  readonly memberId: string;
  readonly subscribedTopicNames: readonly string[];
  /** The member's previous target (stickiness). */
  readonly previous: TopicAssignment;
}

export interface ServerAssignor {
  readonly name: string;
  /** A target for every member in `members` (an empty one when nothing is left for it). */
  assign(members: readonly AssignorMember[], topics: ReadonlyMap<string, SubscribedTopic>): Map<string, TopicAssignment>;
}

export const DEFAULT_SERVER_ASSIGNOR = 'uniform';

interface Slot {
  readonly topicId: string;
  readonly partition: number;
}

const byId = (a: AssignorMember, b: AssignorMember): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function sortedTopicNames(topics: ReadonlyMap<string, SubscribedTopic>): string[] {
  return [...topics.keys()].sort();
}

function emptyTargets(members: readonly AssignorMember[]): Map<string, TopicAssignment> {
  return new Map(members.map((m) => [m.memberId, new Map()]));
}

function add(a: TopicAssignment, s: Slot): void {
  let parts = a.get(s.topicId);
  if (parts === undefined) {
    parts = new Set();
    a.set(s.topicId, parts);
  }
  parts.add(s.partition);
}

function slotKey(s: Slot): string {
  return `${s.topicId}:${s.partition}`;
}

/** Kafka's UniformAssignor: balanced and sticky; the quota-based builder for homogeneous subscriptions, a greedy one otherwise. */
export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(members, topics) {
    const sorted = [...members].sort(byId);
    const first = sorted[0];
    if (first === undefined) return new Map();
    const sameSet = (m: AssignorMember): boolean => {
      const a = new Set(m.subscribedTopicNames);
      const b = new Set(first.subscribedTopicNames);
      return a.size === b.size && [...a].every((t) => b.has(t));
    };
    return sorted.every(sameSet) ? homogeneous(sorted, topics) : heterogeneous(sorted, topics);
  },
};

/** Every member subscribes to the same topics: quotas floor(P/N), the first P mod N members kept over quota get one more. */
function homogeneous(members: readonly AssignorMember[], topics: ReadonlyMap<string, SubscribedTopic>): Map<string, TopicAssignment> {
  const out = emptyTargets(members);
  const subscribed = new Set(members[0]!.subscribedTopicNames);
  const slots: Slot[] = [];
  for (const name of sortedTopicNames(topics)) {
    if (!subscribed.has(name)) continue;
    const t = topics.get(name)!;
    for (let p = 0; p < t.numPartitions; p++) slots.push({ topicId: t.topicId, partition: p });
  }
  const valid = new Set(slots.map(slotKey));
  const minQuota = Math.floor(slots.length / members.length);
  let extrasLeft = slots.length % members.length;
  const taken = new Set<string>();
  const counts = new Map<string, number>();
  const retainedOf = (m: AssignorMember): Slot[] => {
    const r: Slot[] = [];
    for (const [topicId, parts] of [...m.previous].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      for (const partition of [...parts].sort((a, b) => a - b)) {
        const s = { topicId, partition };
        if (valid.has(slotKey(s)) && !taken.has(slotKey(s))) r.push(s);
      }
    }
    return r;
  };
  const give = (m: AssignorMember, s: Slot): void => {
    add(out.get(m.memberId)!, s);
    taken.add(slotKey(s));
    counts.set(m.memberId, (counts.get(m.memberId) ?? 0) + 1);
  };
  // Sticky: each member keeps up to its quota of its previous partitions (one over, while extras last).
  const overflow: [AssignorMember, Slot][] = [];
  for (const m of members) {
    const retained = retainedOf(m);
    for (const s of retained.slice(0, minQuota)) give(m, s);
    const next = retained[minQuota];
    if (next !== undefined) overflow.push([m, next]);
  }
  for (const [m, s] of overflow) {
    if (extrasLeft === 0) break;
    give(m, s);
    extrasLeft--;
  }
  const pool = slots.filter((s) => !taken.has(slotKey(s)));
  let next = 0;
  for (const m of members) while ((counts.get(m.memberId) ?? 0) < minQuota && next < pool.length) give(m, pool[next++]!);
  for (const m of members) {
    if (extrasLeft === 0 || next >= pool.length) break;
    if ((counts.get(m.memberId) ?? 0) === minQuota) {
      give(m, pool[next++]!);
      extrasLeft--;
    }
  }
  if (next !== pool.length) throw new Error(`uniform assignor left ${pool.length - next} partitions unassigned`);
  return out;
}

/** Different subscriptions: partitions with the fewest candidates first, each to the least-loaded candidate (its previous owner on a tie). */
function heterogeneous(members: readonly AssignorMember[], topics: ReadonlyMap<string, SubscribedTopic>): Map<string, TopicAssignment> {
  const out = emptyTargets(members);
  const counts = new Map(members.map((m) => [m.memberId, 0]));
  const previousOwner = new Map<string, string>();
  for (const m of members) for (const [topicId, parts] of m.previous) for (const p of parts) previousOwner.set(slotKey({ topicId, partition: p }), m.memberId);
  const work: { slot: Slot; candidates: AssignorMember[] }[] = [];
  for (const name of sortedTopicNames(topics)) {
    const candidates = members.filter((m) => m.subscribedTopicNames.includes(name));
    if (candidates.length === 0) continue;
    const t = topics.get(name)!;
    for (let p = 0; p < t.numPartitions; p++) work.push({ slot: { topicId: t.topicId, partition: p }, candidates });
  }
  work.sort((a, b) => a.candidates.length - b.candidates.length);
  for (const { slot, candidates } of work) {
    let best = candidates[0]!;
    const prev = previousOwner.get(slotKey(slot));
    for (const c of candidates) {
      const n = counts.get(c.memberId)!;
      const bestN = counts.get(best.memberId)!;
      if (n < bestN || (n === bestN && c.memberId === prev)) best = c;
    }
    add(out.get(best.memberId)!, slot);
    counts.set(best.memberId, counts.get(best.memberId)! + 1);
  }
  return out;
}

/** Kafka's server-side RangeAssignor: per topic, contiguous ranges over the subscribers sorted by member id. */
export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(members, topics) {
    const sorted = [...members].sort(byId);
    const out = emptyTargets(sorted);
    for (const name of sortedTopicNames(topics)) {
      const subs = sorted.filter((m) => m.subscribedTopicNames.includes(name));
      if (subs.length === 0) continue;
      const t = topics.get(name)!;
      const per = Math.floor(t.numPartitions / subs.length);
      const extra = t.numPartitions % subs.length;
      subs.forEach((m, i) => {
        const start = i * per + Math.min(i, extra);
        const len = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + len; p++) add(out.get(m.memberId)!, { topicId: t.topicId, partition: p });
      });
    }
    return out;
  },
};

export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
