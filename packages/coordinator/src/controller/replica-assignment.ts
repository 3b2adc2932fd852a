/**
 * Replica assignment for new partitions, Kafka's algorithm (AdminUtils.assignReplicasToBrokers,
 * re-written here): brokers sorted by id; partition p's first replica is broker
 * `(p + startIndex) mod n`; the others follow at a shift `1 + (nextReplicaShift + j) mod (n - 1)`
 * from it, and the shift grows by one every n partitions so followers spread too. startIndex
 * and the initial shift are random (from the runtime's `Random`) unless fixed.
 *
 * Rack-aware (every broker has a rack): the broker list is first alternated by rack
 * (r1b1, r2b1, r3b1, r1b2, …, racks and brokers in each rack sorted), and each further
 * replica is the next candidate whose rack (and broker) the partition does not have yet,
 * unless every rack (every broker) already has one. So with as many racks as the
 * replication factor, each replica is in a different rack. Some brokers with a rack and
 * others without is an error, as in Kafka.
 *
 * Invariants of the result: `partitionCount` lists, each of `replicationFactor` distinct
 * broker ids from the input; the first replica is the preferred leader.
 */
import type { Random } from '@samsa/runtime';

export interface AssignableBroker {
  readonly brokerId: number;
  readonly rack: string | null;
}

export class AssignmentError extends Error {
  override readonly name = 'AssignmentError';
  readonly code: 'INVALID_REPLICATION_FACTOR' | 'INVALID_PARTITIONS' | 'INVALID_REPLICA_ASSIGNMENT';
  constructor(code: AssignmentError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface AssignOptions {
  readonly partitionCount: number;
  readonly replicationFactor: number;
  readonly brokers: readonly AssignableBroker[];
  readonly random: Random;
  /** Kafka's fixedStartIndex: ≥ 0 fixes both the start index and the first shift. */
  readonly fixedStartIndex?: number;
  /** The id of the first partition to assign (CreatePartitions starts at the current count). */
  readonly startPartitionId?: number;
}

export const assignedPartitionsMax = 100_000;

export function assignReplicas(o: AssignOptions): number[][] {
  const n = o.brokers.length;
  if (!Number.isInteger(o.partitionCount) || o.partitionCount < 1 || o.partitionCount > assignedPartitionsMax) throw new AssignmentError('INVALID_PARTITIONS', `partition count ${o.partitionCount} is not in [1, ${assignedPartitionsMax}]`);
  if (!Number.isInteger(o.replicationFactor) || o.replicationFactor < 1) throw new AssignmentError('INVALID_REPLICATION_FACTOR', `replication factor ${o.replicationFactor} must be at least 1`);
  if (o.replicationFactor > n) throw new AssignmentError('INVALID_REPLICATION_FACTOR', `replication factor ${o.replicationFactor} is larger than the ${n} available brokers`);
  const withRack = o.brokers.filter((b) => b.rack !== null).length;
  if (withRack > 0 && withRack < n) throw new AssignmentError('INVALID_REPLICATION_FACTOR', 'some brokers have a rack and others do not: rack-aware assignment needs broker.rack on every broker');
  const fixed = o.fixedStartIndex ?? -1;
  const startIndex = fixed >= 0 ? fixed : o.random.int(0, n);
  const shift0 = fixed >= 0 ? fixed : o.random.int(0, n);
  const first = Math.max(0, o.startPartitionId ?? 0);
  if (withRack === 0) return unaware(o, [...o.brokers].map((b) => b.brokerId).sort((a, b) => a - b), startIndex, shift0, first);
  return aware(o, startIndex, shift0, first);
}

function replicaIndex(firstReplicaIndex: number, shift: number, j: number, n: number): number {
  const step = 1 + ((shift + j) % (n - 1));
  return (firstReplicaIndex + step) % n;
}

function unaware(o: AssignOptions, brokers: number[], startIndex: number, shift0: number, first: number): number[][] {
  const n = brokers.length;
  const out: number[][] = [];
  let shift = shift0;
  for (let p = first; p < first + o.partitionCount; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const firstIndex = (p + startIndex) % n;
    const replicas = [brokers[firstIndex]!];
    for (let j = 0; j < o.replicationFactor - 1; j++) replicas.push(brokers[replicaIndex(firstIndex, shift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

function aware(o: AssignOptions, startIndex: number, shift0: number, first: number): number[][] {
  const rackOf = new Map(o.brokers.map((b) => [b.brokerId, b.rack!]));
  const arranged = rackAlternated(o.brokers);
  const n = arranged.length;
  const rackCount = new Set(rackOf.values()).size;
  const out: number[][] = [];
  let shift = shift0;
  for (let p = first; p < first + o.partitionCount; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const firstIndex = (p + startIndex) % n;
    const leader = arranged[firstIndex]!;
    const replicas = [leader];
    const racks = new Set([rackOf.get(leader)!]);
    const used = new Set([leader]);
    let k = 0;
    for (let j = 0; j < o.replicationFactor - 1; j++) {
      // Bounded: within n consecutive k the candidates cover every broker, one of which fits.
      for (let tries = 0; ; tries++) {
        if (tries > 2 * n * n) throw new Error('rack-aware assignment found no broker (bug)');
        const broker = arranged[replicaIndex(firstIndex, shift * rackCount, k, n)]!;
        const rack = rackOf.get(broker)!;
        k += 1;
        if ((!racks.has(rack) || racks.size === rackCount) && (!used.has(broker) || used.size === n)) {
          replicas.push(broker);
          racks.add(rack);
          used.add(broker);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered rack by rack in turn: r1's first, r2's first, …, r1's second, … */
export function rackAlternated(brokers: readonly AssignableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b.brokerId);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  for (const r of racks) byRack.get(r)!.sort((a, b) => a - b);
  const out: number[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const r of racks) {
      const b = byRack.get(r)![round];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

/** Checks a client-given assignment (CreateTopics replica_assignment, CreatePartitions assignments). */
export function validateAssignment(assignment: readonly (readonly number[])[], knownBrokers: ReadonlySet<number>, replicationFactor: number | null): void {
  if (assignment.length === 0 || assignment.length > assignedPartitionsMax) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `an assignment needs 1 to ${assignedPartitionsMax} partitions`);
  const rf = replicationFactor ?? assignment[0]!.length;
  assignment.forEach((replicas, p) => {
    if (replicas.length === 0) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `partition ${p} has no replicas`);
    if (replicas.length !== rf) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `partition ${p} has ${replicas.length} replicas, not ${rf} as the others`);
    if (new Set(replicas).size !== replicas.length) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `partition ${p} repeats a broker: [${replicas.join(',')}]`);
    for (const b of replicas) if (!knownBrokers.has(b)) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `partition ${p} names unknown broker ${b}`);
  });
}
