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
 * - `one-leader-per-epoch`: a leader epoch of a partition is led by one broker process
 *   (name and incarnation), sampled with `lease-fencing`: Kafka's controller gives a
 *   restarted broker's partitions a new leader epoch; leading the old one again would
 *   reuse an epoch whose log and high watermark the crash may have cut.
 * - `clean-election`: a partition's new leader (leader epoch grows) was in the ISR of the
 *   record before (Kafka's clean election; unclean election is off); leader and partition
 *   epochs never go down.
 * - Data, on partitions whose data is checked (`dataChecked`: replication factor 1
 *   without `replication`, every partition with it):
 *   `one-record-per-offset` — an offset never holds two different records across any reads,
 *   from whichever leader (forgotten when the partition's only broker crashed with unsynced
 *   writes on a partition that does not fsync every message, where Kafka, too, may reuse
 *   offsets); `consumer-order` — a consumer sees offsets in increasing order without gaps,
 *   and never at or above the high watermark of the response; `no-duplicates` — with
 *   idempotence, a value is never at two offsets (fsync-every-message partitions);
 *   `no-acked-loss` as it happens — a read (or an ack) at the offset of a record that may
 *   not be lost finds that record;
 *   `hw-monotonic` — the high watermark a leader reports (a Fetch answered without error
 *   to a request naming the leader epoch: the broker checked the epoch and read the HW in
 *   one step) never goes down within that leader epoch, per reader (one reader's fetches
 *   to a broker are sequential, so its answers come in the order they were read).
 * Final (after the liveness phase):
 * - `no-acked-loss`: every record that may not be lost is read back at its offset by the
 *   final read. May be lost: a record acked with acks=1 or acks=all whose only broker
 *   crashed after the ack on a partition that does not fsync every message, and a record
 *   acked with acks=1 on a replicated partition (the leader acked it alone; a new leader
 *   need not have it — Kafka's acks=1). Never lost: a record on a `flush.messages=1` RF 1
 *   partition (fsynced before its ack) and a record acked with acks=all on a replicated
 *   partition, whatever crashed (the replicated topic fsyncs every message, so every ISR
 *   member that acknowledged it holds it on disk, and a clean election picks one of them).
 * - `replica-agreement`: every record read earlier (below the HW, so committed) is at its
 *   offset in the final read; and, given each replica's log (`checkReplicaLogs`), every
 *   replica holds byte for byte the leader's log below the HW.
 * - `convergence` (liveness, the simulation's): every broker's view reaches the store and
 *   every replicated partition catches up (whole ISR, every replica at the leader's end).
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

/** At most this many (partition, leader epoch) pairs are tracked (a run has a few hundred). */
export const epochLeadersMax = 1_000_000;

/** At most this many acked records are tracked per partition (the workload stays below). */
export const ackedPerPartitionMax = 1_000_000;

/** The first index where `a` and `b` differ (a length difference counts), -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}

/** `broker-2#3` → `broker-2`. */
const brokerOf = (process: string): string => process.slice(0, process.lastIndexOf('#'));

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
  /** offset → the acked record there that may not be lost (the latest ack at that offset). */
  readonly ackedAt: Map<number, Acked>;
  /** offset → value, from every read since the last lossy crash. */
  readonly seen: Map<number, string>;
  /** value → offset (duplicate check). */
  readonly seenValues: Map<string, number>;
}

export interface InvariantsOptions {
  /** Replication is in: data is checked on every partition (else RF 1 partitions only). */
  readonly replication?: boolean;
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
  /** `tp epoch` → the broker process that led it (`one-leader-per-epoch`). */
  readonly #epochLeaders = new Map<string, string>();
  /** `reader tp epoch process` → the highest HW that reader saw answered by that leader process in that epoch. */
  readonly #highWatermarks = new Map<string, number>();


  constructor(store: SimulatedMetadataStore, now: () => number, options: InvariantsOptions = {}) {
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

  /**
   * A sample: broker process `process` (name#incarnation) leads `tp` in `leaderEpoch`. One
   * leader epoch has one leader process: a broker restarted into the epoch its previous
   * incarnation led (with whatever that crash cost its log and its high watermark) is a
   * second leader of that epoch.
   */
  onLeaderEpochSample(process: string, tp: string, leaderEpoch: number): void {
    this.checks++;
    const key = `${tp} ${leaderEpoch}`;
    const before = this.#epochLeaders.get(key);
    if (before === undefined) {
      if (this.#epochLeaders.size >= epochLeadersMax) throw new RangeError(`more than ${epochLeadersMax} (partition, leader epoch) pairs`);
      this.#epochLeaders.set(key, process);
    } else if (before !== process) {
      this.fail('one-leader-per-epoch', `${tp} leader epoch ${leaderEpoch} is led by ${process} after ${before}`);
    }
  }

  /** The store's partition records now (after a scan). */
  partitionRecords(): ReadonlyMap<string, PartitionRecord> {
    this.scanPartitions();
    return new Map([...this.#partitionRecords].map(([k, v]) => [k, v.record]));
  }

  // ---- data ---------------------------------------------------------------------------

  setFacts(tp: string, facts: PartitionFacts): void {
    this.#facts.set(tp, facts);
    if (!this.#truth.has(tp)) this.#truth.set(tp, { acked: [], ackedAt: new Map(), seen: new Map(), seenValues: new Map() });
  }

  /** Whether the data rules apply to `tp` (replication factor 1 until replication lands). */
  dataChecked(tp: string): boolean {
    const facts = this.#facts.get(tp);
    return facts !== undefined && (this.#replication || facts.replicationFactor === 1);
  }

  fsyncsEachMessage(tp: string): boolean {
    return this.#facts.get(tp)?.fsyncsEachMessage ?? false;
  }

  /** Whether `tp` has more than one replica (its data survives on the ISR, not on one disk). */
  replicated(tp: string): boolean {
    return (this.#facts.get(tp)?.replicationFactor ?? 1) > 1;
  }

  onAck(tp: string, offset: number, value: string, acks: number): void {
    const truth = this.#truth.get(tp);
    if (truth === undefined || !this.dataChecked(tp)) return;
    if (truth.acked.length >= ackedPerPartitionMax) throw new RangeError(`more than ${ackedPerPartitionMax} acked records on ${tp}`);
    // acks=1 on a replicated partition: only the leader had it; a new leader may not.
    const acked: Acked = { offset, value, acks, mayBeLost: acks !== -1 && this.replicated(tp) };
    truth.acked.push(acked);
    if (acked.mayBeLost) return;
    this.checks++;
    const earlier = truth.ackedAt.get(offset);
    if (earlier !== undefined && earlier.value !== value) this.fail('no-acked-loss', `${tp} offset ${offset}: acked '${earlier.value}' (acks=${earlier.acks}) and later '${value}' (acks=${acks}) at the same offset`);
    truth.ackedAt.set(offset, acked);
    const read = truth.seen.get(offset);
    if (read !== undefined && read !== value) this.fail('no-acked-loss', `${tp} offset ${offset}: acked '${value}' (acks=${acks}) but a read found '${read}' there`);
  }

  /** Broker `nodeId` crashed: what it had not fsynced may be gone. */
  onCrash(nodeId: number): void {
    for (const [tp, facts] of this.#facts) {
      if (!facts.replicas.includes(nodeId) || facts.fsyncsEachMessage) continue;
      const truth = this.#truth.get(tp)!;
      for (const a of truth.acked) a.mayBeLost = true;
      truth.ackedAt.clear();
      truth.seen.clear();
      truth.seenValues.clear();
      // The same leader epoch may come back with a shorter log (Kafka's acks=1 without fsync).
      for (const key of [...this.#highWatermarks.keys()]) if (key.split(' ')[1] === tp) this.#highWatermarks.delete(key);
    }
  }

  /**
   * `reader` got a Fetch answer without error for `tp` from broker process `process`
   * (name#incarnation), the leader of `leaderEpoch` (the request named that epoch),
   * carrying `highWatermark`. Tracked per process: `one-leader-per-epoch` sees to it that an
   * epoch has one leader process, so the two rules together say the HW never goes down
   * within a leader epoch.
   */
  onHighWatermark(reader: string, tp: string, leaderEpoch: number, process: string, highWatermark: number): void {
    if (!this.dataChecked(tp) || leaderEpoch < 0) return;
    this.checks++;
    const key = `${reader} ${tp} ${leaderEpoch} ${process}`;
    const before = this.#highWatermarks.get(key);
    if (before !== undefined && highWatermark < before) this.fail('hw-monotonic', `${reader}: ${tp} leader epoch ${leaderEpoch} (${process}) reported HW ${before} and later ${highWatermark}`);
    if (before === undefined || highWatermark > before) this.#highWatermarks.set(key, highWatermark);
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
    const acked = truth.ackedAt.get(offset);
    if (acked !== undefined && acked.value !== value) this.fail('no-acked-loss', `${tp} offset ${offset}: acked '${acked.value}' (acks=${acked.acks}) but a later read found '${value}' there`);
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

  /** After the final read: every record read earlier (committed: it was below the HW) is still at its offset. */
  checkCommittedReads(): void {
    const finalSeen = this.#finalSeen ?? new Map<string, Map<number, string>>();
    for (const [tp, truth] of this.#truth) {
      if (!this.dataChecked(tp)) continue;
      const final = finalSeen.get(tp);
      for (const [offset, value] of truth.seen) {
        this.checks++;
        const found = final?.get(offset);
        if (found !== value) {
          this.fail('replica-agreement', `${tp} offset ${offset}: '${value}' was read below the HW but the final read found ${found === undefined ? 'nothing there' : `'${found}'`}`);
          return;
        }
      }
    }
  }

  /**
   * After the liveness phase: `logs` holds, per replica of `tp`, its log's batches below
   * `highWatermark` (the leader's); every replica must hold the leader's bytes.
   */
  checkReplicaLogs(tp: string, leader: number, highWatermark: number, logs: ReadonlyMap<number, Uint8Array>): void {
    const reference = logs.get(leader);
    if (reference === undefined) return;
    for (const [replica, bytes] of logs) {
      if (replica === leader) continue;
      this.checks++;
      const at = firstDifference(reference, bytes);
      if (at >= 0) this.fail('replica-agreement', `${tp}: broker ${replica}'s log differs from leader ${leader}'s below the HW ${highWatermark} at byte ${at} (${bytes.byteLength} bytes vs ${reference.byteLength})`);
    }
  }

  /** Acked records tracked (for the summary). */
  ackedCount(): number {
    let n = 0;
    for (const t of this.#truth.values()) n += t.acked.length;
    return n;
  }
}
