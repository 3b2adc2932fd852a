/**
 * The balanced, sticky target assignment behind the cooperative-sticky assignor (Java's
 * `AbstractStickyAssignor`), before the cooperative rule withholds moved partitions.
 *
 * Goals, in order:
 *  1. every partition of a subscribed topic gets exactly one member subscribed to it;
 *  2. balance: no member could take a partition from a member holding two or more
 *     partitions more than it (Java's `isBalanced`); with identical subscriptions this is
 *     max − min ≤ 1;
 *  3. stickiness: members keep what they own (`keepable`, see owned-partitions.ts) as far
 *     as balance allows.
 *
 * Two paths, as in Java:
 *  - identical subscriptions ("constrained"): quotas ⌊N/M⌋ and ⌈N/M⌉, the N mod M larger
 *    quotas going first to members that own at least ⌈N/M⌉; each member keeps its lowest
 *    owned partitions up to its quota; the rest are dealt in (topic, partition) order to
 *    members below quota, in member order. This keeps the most partitions possible:
 *    Σ min(owned, ⌊N/M⌋) + min(N mod M, #members owning ≥ ⌈N/M⌉).
 *  - otherwise ("general"): everyone keeps all it owns; unowned partitions go, those of
 *    topics with the fewest subscribers first, to the least-loaded subscribed member (ties:
 *    the one subscribed to fewer topics, then member order); then partitions shift along
 *    paths of members until no member can pass load to one two or more smaller (minimal
 *    Σ size², see `balance`), moving owned partitions only when nothing else reaches that
 *    optimum. Each shift lowers Σ size² by at least 2, so it ends within N²/2 (asserted).
 *
 * Pure; members are passed already sorted (member-order.ts), which makes the result
 * deterministic.
 */
import type { GroupMember } from './assignor.ts';
import type { PartitionIndex } from './partition-index.ts';

/** memberId → partition ids (see partition-index.ts), each id held by exactly one member. */
export type IdAssignment = Map<string, Set<number>>;

export function stickyAssignment(
  sorted: readonly GroupMember[],
  index: PartitionIndex,
  keepable: ReadonlyMap<string, readonly number[]>,
): IdAssignment {
  const subscriptions = new Map(sorted.map((m) => [m.memberId, new Set(m.subscription.topics.filter((t) => index.has(t)))]));
  const result = allSubscriptionsEqual(subscriptions)
    ? constrainedAssignment(sorted, index, keepable)
    : generalAssignment(sorted, index, keepable, subscriptions);
  assertComplete(result, index, subscriptions);
  return result;
}

function allSubscriptionsEqual(subscriptions: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  let first: ReadonlySet<string> | undefined;
  for (const s of subscriptions.values()) {
    if (first === undefined) first = s;
    else if (s.size !== first.size || [...s].some((t) => !first!.has(t))) return false;
  }
  return true;
}

function constrainedAssignment(sorted: readonly GroupMember[], index: PartitionIndex, keepable: ReadonlyMap<string, readonly number[]>): IdAssignment {
  const result: IdAssignment = new Map(sorted.map((m) => [m.memberId, new Set<number>()]));
  if (sorted.length === 0) return result;
  const minQuota = Math.floor(index.size / sorted.length);
  let largerQuotasLeft = index.size % sorted.length;
  const quota = new Map<string, number>();
  const taken = new Uint8Array(index.size);
  for (const m of sorted) {
    const owned = keepable.get(m.memberId) ?? [];
    const larger = largerQuotasLeft > 0 && owned.length > minQuota;
    if (larger) largerQuotasLeft--;
    quota.set(m.memberId, minQuota + (larger ? 1 : 0));
    for (const id of owned.slice(0, quota.get(m.memberId))) {
      result.get(m.memberId)!.add(id);
      taken[id] = 1;
    }
  }
  for (const m of sorted) {
    if (largerQuotasLeft === 0) break;
    if (quota.get(m.memberId) === minQuota) {
      quota.set(m.memberId, minQuota + 1);
      largerQuotasLeft--;
    }
  }
  let next = 0;
  for (const m of sorted) {
    const own = result.get(m.memberId)!;
    while (own.size < quota.get(m.memberId)!) {
      while (taken[next] === 1) next++;
      own.add(next);
      taken[next] = 1;
    }
  }
  return result;
}

function generalAssignment(
  sorted: readonly GroupMember[],
  index: PartitionIndex,
  keepable: ReadonlyMap<string, readonly number[]>,
  subscriptions: ReadonlyMap<string, ReadonlySet<string>>,
): IdAssignment {
  const result: IdAssignment = new Map(sorted.map((m) => [m.memberId, new Set(keepable.get(m.memberId) ?? [])]));
  const taken = new Uint8Array(index.size);
  for (const ids of result.values()) for (const id of ids) taken[id] = 1;
  const subscribersByTopic = new Map(index.topics.map((t) => [t, sorted.filter((m) => subscriptions.get(m.memberId)!.has(t))]));
  const unowned: number[] = [];
  for (let id = 0; id < index.size; id++) if (taken[id] === 0) unowned.push(id);
  const subscriberCount = (id: number): number => subscribersByTopic.get(index.topicOf(id))!.length;
  unowned.sort((a, b) => subscriberCount(a) - subscriberCount(b) || a - b);
  // Least loaded first; on a tie the member subscribed to fewer topics, which has fewer
  // other ways to grow, so the flexible one stays free to balance others later.
  const lessLoaded = (a: string, b: string): boolean => {
    const bySize = result.get(a)!.size - result.get(b)!.size;
    return bySize < 0 || (bySize === 0 && subscriptions.get(a)!.size < subscriptions.get(b)!.size);
  };
  for (const id of unowned) {
    let best: string | undefined;
    for (const m of subscribersByTopic.get(index.topicOf(id))!) {
      if (best === undefined || lessLoaded(m.memberId, best)) best = m.memberId;
    }
    if (best !== undefined) result.get(best)!.add(id);
  }
  balance(sorted, index, keepable, subscriptions, result);
  return result;
}

/**
 * Shifts partitions along paths m0 → m1 → … → mk (each mi gives one partition of a topic
 * m(i+1) subscribes to; only the ends change size) while some path runs from a member to
 * one holding at least two fewer. With no such path Σ size² is minimal: the load vector is
 * the unique optimum of this load-balancing problem, which also satisfies Java's
 * isBalanced. First only partitions members did not own move; owned ones move only if
 * that cannot reach the optimum. So when the owned partitions fit an optimal assignment
 * (as they do in the follow-up rebalance of a cooperative round) none of them moves.
 */
function balance(
  sorted: readonly GroupMember[],
  index: PartitionIndex,
  keepable: ReadonlyMap<string, readonly number[]>,
  subscriptions: ReadonlyMap<string, ReadonlySet<string>>,
  result: IdAssignment,
): void {
  const movesMax = Math.ceil((index.size * index.size) / 2) + 1;
  const owned = new Map([...keepable].map(([m, ids]) => [m, new Set(ids)]));
  const order = sorted.map((m) => m.memberId);
  let moves = 0;
  for (const ownedMayMove of [false, true]) {
    for (;;) {
      const path = improvingPath(order, index, owned, subscriptions, result, ownedMayMove);
      if (path === null) break;
      if (++moves > movesMax) throw new Error(`sticky assignment: balancing did not settle in ${movesMax} moves`);
      for (const step of path) {
        result.get(step.from)!.delete(step.id);
        result.get(step.to)!.add(step.id);
      }
    }
  }
}

interface Step {
  readonly from: string;
  readonly to: string;
  readonly id: number;
}

/** A breadth-first path from the largest member that can reach one two or more smaller. */
function improvingPath(
  order: readonly string[],
  index: PartitionIndex,
  owned: ReadonlyMap<string, ReadonlySet<number>>,
  subscriptions: ReadonlyMap<string, ReadonlySet<string>>,
  result: IdAssignment,
  ownedMayMove: boolean,
): Step[] | null {
  const size = (m: string): number => result.get(m)!.size;
  const smallest = Math.min(...order.map(size));
  for (const start of [...order].sort((a, b) => size(b) - size(a))) {
    if (size(start) < smallest + 2) return null;
    const reachedBy = new Map<string, Step>();
    const queue = [start];
    let target: string | undefined;
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      for (const v of order) {
        if (v === start || reachedBy.has(v)) continue;
        const id = movablePartition(u, subscriptions.get(v)!, index, owned, result, ownedMayMove);
        if (id === undefined) continue;
        reachedBy.set(v, { from: u, to: v, id });
        queue.push(v);
        if (size(v) + 2 <= size(start) && (target === undefined || size(v) < size(target))) target = v;
      }
    }
    if (target === undefined) continue;
    const path: Step[] = [];
    for (let m = target; m !== start; m = reachedBy.get(m)!.from) path.push(reachedBy.get(m)!);
    return path.reverse();
  }
  return null;
}

/** The lowest partition `from` holds of a topic in `topics`: one it did not own first. */
function movablePartition(
  from: string,
  topics: ReadonlySet<string>,
  index: PartitionIndex,
  owned: ReadonlyMap<string, ReadonlySet<number>>,
  result: IdAssignment,
  ownedMayMove: boolean,
): number | undefined {
  let free: number | undefined;
  let ownedOne: number | undefined;
  for (const id of result.get(from)!) {
    if (!topics.has(index.topicOf(id))) continue;
    if (owned.get(from)?.has(id) ?? false) {
      if (ownedOne === undefined || id < ownedOne) ownedOne = id;
    } else if (free === undefined || id < free) {
      free = id;
    }
  }
  return free ?? (ownedMayMove ? ownedOne : undefined);
}

function assertComplete(result: IdAssignment, index: PartitionIndex, subscriptions: ReadonlyMap<string, ReadonlySet<string>>): void {
  const seen = new Uint8Array(index.size);
  for (const [m, ids] of result) {
    for (const id of ids) {
      if (seen[id] === 1) throw new Error(`sticky assignment: partition id ${id} assigned twice`);
      if (!subscriptions.get(m)!.has(index.topicOf(id))) throw new Error(`sticky assignment: ${m} got unsubscribed ${index.topicOf(id)}`);
      seen[id] = 1;
    }
  }
  if (subscriptions.size > 0 && seen.includes(0)) throw new Error('sticky assignment: a subscribed partition has no owner');
}
