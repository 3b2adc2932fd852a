/**
 * Invariants: the simulator's ground truth and its checks. Every check is one named rule;
 * the first broken one ends the run with a `Violation`. Each observation that a check runs
 * on is counted (`checks`) so a campaign reports how much was checked.
 *
 * Safety, checked while faults run:
 * - `controller-fencing`: at most one process writes as controller per controller epoch
 *   (every successful txn fenced by the controller key's createRevision E came from one
 *   process incarnation).
 * - `partition-record`: every partition record in the store decodes and passes its own
 *   checks (the leader is in its ISR, the ISR inside the replicas).
 * - `lease-fencing`: a broker acts as a partition leader (its registry says so) only while
 *   its lease lives in the store, give or take `leaseFencingGraceMs` after the lease's
 *   deadline (`leaseFencingEarlyExpiryGraceMs` when the store expired it early); sampled
 *   every 250 ms.
 * - `clean-election`: a partition's new leader (leader epoch grows) was in the ISR of the
 *   record before (Kafka's clean election; unclean election is off); leader and partition
 *   epochs never go down.
 * - Data, on partitions whose data is checked (`dataChecked`: replication factor 1 until
 *   replication lands, then every partition):
 *   `one-record-per-offset` — an offset never holds two different records across any reads
 *   (forgotten when the partition's only broker crashed with unsynced writes on a
 *   partition that does not fsync every message, where Kafka, too, may reuse offsets);
 *   `consumer-order` — a consumer sees offsets in increasing order without gaps below the
 *   high watermark; `no-duplicates` — with idempotence, a value is never at two offsets
 *   (fsync-every-message partitions);
 * Final (after the liveness phase):
 * - `no-acked-loss`: every record acked with acks=1 or acks=all is read back at its offset,
 *   unless its broker crashed after the ack on a partition that does not fsync every
 *   message (an acked record on a `flush.messages=1` topic was fsynced before its ack, so a
 *   crash may not take it).
 * - `convergence` (liveness, the simulation's): every broker's view reaches the store.
 *
 * Replication (issue 14) adds its rules beside these: no acks=all loss whatever crashed
 * (`ackedMayBeLost` then ignores crashes for acks=all on replicated partitions), replicas
 * agree below the HW, the HW never moves back within a leader epoch.
 */
import { decodePartitionRecord, type PartitionRecord, type SimulatedMetadataStore, type Txn, type TxnResult } from '@samsa/coordinator';
import { clusterKeys, type StoreObserver } from './sim-store.ts';

/**
 * How long a broker may still act as a partition leader after its lease left the store.
 * At its deadline: hardly at all — the member fences itself before the store's expiry
 * (`sentAt + TTL − margin`); the grace covers the sampling period. Before its deadline (the
 * store's early-expiry fault: keepalives lost although answered): until the member's next
 * keepalive finds it gone — a TTL plus a second covers it.
 */
export const leaseFencingGraceMs = 500;
export const leaseFencingEarlyExpiryGraceMs = 5000;

/** At most this many acked records are tracked per partition (the workload stays below). */
export const ackedPerPartitionMax = 1_000_000;

export class Violation extends Error {
  override readonly name = 'Violation';
  readonly rule: string;
  readonly atMs: number;
  constructor(rule: string, message: string, atMs: number) {
    super(`${rule}: ${message}`);
    this.rule = rule;
    this.atMs = atMs;
  }
}

export interface PartitionFacts {
  readonly replicationFactor: number;
  /** The topic fsyncs every message (flush.messages=1): an ack means durable. */
  readonly fsyncsEachMessage: boolean;
  /** Broker ids holding a replica. */
  readonly replicas: readonly number[];
}

interface Acked {
  readonly offset: number;
  readonly value: string;
  readonly acks: number;
  mayBeLost: boolean;
}

interface PartitionTruth {
  readonly acked: Acked[];
  /** offset → value, from every read since the last lossy crash. */
  readonly seen: Map<number, string>;
  /** value → offset (duplicate check). */
  readonly seenValues: Map<string, number>;
}

export class Invariants implements StoreObserver {
  checks = 0;
  violation: Violation | null = null;
  readonly #now: () => number;
  readonly #store: SimulatedMetadataStore;
  readonly #controllerWriters = new Map<number, string>();
  readonly #partitionRecords = new Map<string, { modRevision: number; record: PartitionRecord }>();
  #lastScannedRevision = 0;
  readonly #facts = new Map<string, PartitionFacts>();
  readonly #truth = new Map<string, PartitionTruth>();
  /** Per broker process: since when it leads partitions without a live lease. */
  readonly #leadingWithoutLease = new Map<string, number>();
  /** Per lease id: its deadline when last seen alive (to tell an early expiry from a due one). */
  readonly #leaseDeadlines = new Map<string, number>();
  /** offset → value per partition, from the final read only (null before it starts). */
  #finalSeen: Map<string, Map<number, string>> | null = null;
  /** Replication is in: data is checked on every partition. */
  readonly #replication: boolean;

  constructor(store: SimulatedMetadataStore, now: () => number, options: { readonly replication?: boolean } = {}) {
    this.#store = store;
    this.#now = now;
    this.#replication = options.replication ?? false;
  }

  fail(rule: string, message: string): void {
    this.violation ??= new Violation(rule, message, this.#now());
  }

  // ---- metadata -----------------------------------------------------------------------

  onTxn(writer: string, txn: Txn, result: TxnResult | null): void {
    if (result?.succeeded === true && txn.success.some((op) => op.type !== 'get' && op.type !== 'range')) {
      const fence = txn.compare.find((c) => c.key === clusterKeys.controller && c.target === 'createRevision' && c.op === 'equal' && typeof c.value === 'number' && c.value > 0);
      if (fence !== undefined) {
        this.checks++;
        const epoch = fence.value as number;
        const before = this.#controllerWriters.get(epoch);
        if (before === undefined) this.#controllerWriters.set(epoch, writer);
        else if (before !== writer) this.fail('controller-fencing', `controller epoch ${epoch} was written by ${before} and by ${writer}`);
      }
    }
    this.scanPartitions();
  }

  /** Checks every partition record changed since the last scan (the store's own state: unknown outcomes included). */
  scanPartitions(): void {
    const snapshot = this.#store.snapshot();
    if (snapshot.revision === this.#lastScannedRevision) return;
    this.#lastScannedRevision = snapshot.revision;
    for (const kv of snapshot.kvs) {
      if (!kv.key.startsWith(clusterKeys.partitionsPrefix)) continue;
      const known = this.#partitionRecords.get(kv.key);
      if (known !== undefined && known.modRevision === kv.modRevision) continue;
      this.checks++;
      let record: PartitionRecord;
      try {
        record = decodePartitionRecord(kv.value);
      } catch (error) {
        this.fail('partition-record', `${kv.key} at revision ${kv.modRevision}: ${(error as Error).message}`);
        return;
      }
      this.#partitionRecords.set(kv.key, { modRevision: kv.modRevision, record });
      const prev = known?.record;
      if (prev === undefined || prev.topicId !== record.topicId) continue;
      if (record.leaderEpoch < prev.leaderEpoch || record.partitionEpoch < prev.partitionEpoch) {
        this.fail('clean-election', `${kv.key}: epochs went down (leader ${prev.leaderEpoch} → ${record.leaderEpoch}, partition ${prev.partitionEpoch} → ${record.partitionEpoch})`);
      } else if (record.leaderEpoch > prev.leaderEpoch && record.leader !== -1 && !prev.isr.includes(record.leader)) {
        this.fail('clean-election', `${kv.key}: leader ${record.leader} elected in leader epoch ${record.leaderEpoch} was not in the ISR [${prev.isr.join(',')}] of epoch ${prev.leaderEpoch}`);
      }
    }
  }

  /**
   * A sample of broker process `process`: whether it acts as leader of some partition, and
   * whether its lease (`leaseId`) lives in the store now.
   */
  onLeadershipSample(process: string, leading: boolean, leaseId: string | null): void {
    this.checks++;
    const lease = leaseId === null ? undefined : this.#store.snapshot().leases.find((l) => l.id === leaseId);
    if (lease !== undefined) this.#leaseDeadlines.set(lease.id, lease.deadlineMs);
    if (!leading || lease !== undefined) {
      this.#leadingWithoutLease.delete(process);
      return;
    }
    const nowMs = this.#now();
    const since = this.#leadingWithoutLease.get(process) ?? nowMs;
    this.#leadingWithoutLease.set(process, since);
    const deadlineMs = leaseId === null ? undefined : this.#leaseDeadlines.get(leaseId);
    const early = deadlineMs === undefined || since < deadlineMs;
    const graceMs = early ? leaseFencingEarlyExpiryGraceMs : leaseFencingGraceMs;
    if (nowMs - since > graceMs) this.fail('lease-fencing', `${process} still acts as a partition leader ${Math.round(nowMs - since)} ms after its lease ${leaseId ?? '(none)'} left the store${early ? ' (expired early)' : ' at its deadline'}`);
  }

  /** The store's partition records now (after a scan). */
  partitionRecords(): ReadonlyMap<string, PartitionRecord> {
    this.scanPartitions();
    return new Map([...this.#partitionRecords].map(([k, v]) => [k, v.record]));
  }

  // ---- data ---------------------------------------------------------------------------

  setFacts(tp: string, facts: PartitionFacts): void {
    this.#facts.set(tp, facts);
    if (!this.#truth.has(tp)) this.#truth.set(tp, { acked: [], seen: new Map(), seenValues: new Map() });
  }

  /** Whether the data rules apply to `tp` (replication factor 1 until replication lands). */
  dataChecked(tp: string): boolean {
    const facts = this.#facts.get(tp);
    return facts !== undefined && (this.#replication || facts.replicationFactor === 1);
  }

  fsyncsEachMessage(tp: string): boolean {
    return this.#facts.get(tp)?.fsyncsEachMessage ?? false;
  }

  onAck(tp: string, offset: number, value: string, acks: number): void {
    const truth = this.#truth.get(tp);
    if (truth === undefined || !this.dataChecked(tp)) return;
    if (truth.acked.length >= ackedPerPartitionMax) throw new RangeError(`more than ${ackedPerPartitionMax} acked records on ${tp}`);
    truth.acked.push({ offset, value, acks, mayBeLost: false });
  }

  /** Broker `nodeId` crashed: what it had not fsynced may be gone. */
  onCrash(nodeId: number): void {
    for (const [tp, facts] of this.#facts) {
      if (!facts.replicas.includes(nodeId) || facts.fsyncsEachMessage) continue;
      const truth = this.#truth.get(tp)!;
      for (const a of truth.acked) a.mayBeLost = true;
      truth.seen.clear();
      truth.seenValues.clear();
    }
  }

  /** A consumer read `value` at `offset` of `tp`. */
  onRead(tp: string, offset: number, value: string): void {
    const truth = this.#truth.get(tp);
    if (truth === undefined || !this.dataChecked(tp)) return;
    this.checks++;
    if (this.#finalSeen !== null) {
      const final = this.#finalSeen.get(tp) ?? new Map<number, string>();
      final.set(offset, value);
      this.#finalSeen.set(tp, final);
    }
    const before = truth.seen.get(offset);
    if (before === undefined) truth.seen.set(offset, value);
    else if (before !== value) this.fail('one-record-per-offset', `${tp} offset ${offset} held '${before}' and later '${value}'`);
    if (this.fsyncsEachMessage(tp)) {
      const at = truth.seenValues.get(value);
      if (at === undefined) truth.seenValues.set(value, offset);
      else if (at !== offset) this.fail('no-duplicates', `${tp}: '${value}' is at offsets ${at} and ${offset}`);
    }
  }

  /** The final read starts: `checkNoAckedLoss` looks only at what it reads (a record read earlier and lost since must not count). */
  beginFinalRead(): void {
    this.#finalSeen = new Map();
  }

  /** After the final read of every partition: every acked record that may not be lost is there. */
  checkNoAckedLoss(): void {
    const finalSeen = this.#finalSeen ?? new Map<string, Map<number, string>>();
    for (const [tp, truth] of this.#truth) {
      if (!this.dataChecked(tp)) continue;
      for (const a of truth.acked) {
        if (a.mayBeLost) continue;
        this.checks++;
        const found = finalSeen.get(tp)?.get(a.offset);
        if (found !== a.value) {
          this.fail('no-acked-loss', `${tp} offset ${a.offset}: acked '${a.value}' (acks=${a.acks}) but the final read found ${found === undefined ? 'nothing there' : `'${found}'`}`);
          return;
        }
      }
    }
  }

  /** Acked records tracked (for the summary). */
  ackedCount(): number {
    let n = 0;
    for (const t of this.#truth.values()) n += t.acked.length;
    return n;
  }
}
