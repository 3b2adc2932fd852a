/**
 * Property test of the controller: several brokers' controller drivers on one
 * SimulatedMetadataStore with a manual clock, driven by random steps — clock advances
 * (live brokers keep their leases alive, paused ones do not), broker deaths (lease
 * expiry), pauses (a broker stops renewing its lease but keeps acting on its stale image),
 * registrations, refreshes, campaigns, ticks, CreateTopics, CreatePartitions, DeleteTopics,
 * AlterConfigs, controlled shutdowns, and the store's random faults (unavailable, unknown outcome applied
 * or not, early lease expiry); and (issue 14) AlterPartition proposals from the partition's
 * leader (random ISRs, some from a stale partition epoch), `unclean.leader.election.enable`
 * switched per topic, ElectLeaders (preferred and unclean, some partitions or all), partition
 * reassignments (and cancels), and the auto leader rebalance on ticks.
 *
 * Invariants, checked after every step (and, for 1-2, at every write):
 *  1. no write lands from a deposed controller: every txn that changes the store, other
 *     than a campaign, is made while the controller key holds a record of the writer that
 *     the writer won (its epoch = the key's createRevision); hence at most one broker
 *     writes per epoch;
 *  2. epochs only grow: per (topic id, partition), leaderEpoch and partitionEpoch never
 *     decrease, and any change of the record raises partitionEpoch;
 *  3. every partition record is valid: replicas distinct, ISR ⊆ replicas and non-empty,
 *     leader ∈ ISR or -1 (decoding checks it);
 *  4. no acknowledged creation is lost: an acked topic (not since targeted by a delete) is
 *     in the store with its topic id and at least the acked partition count, and each of
 *     its partitions exists;
 *  5. an acked creation's replicas were registered brokers when the request was made;
 *  6. no acknowledged config change is lost: an acked topic config (not since targeted by
 *     another change, a delete or a create) is in the store as acked;
 *  7. the ISR grows only through AlterPartition: checked at every write, a broker that joins
 *     a partition's ISR was proposed by its leader from exactly the state before (same
 *     partition epoch, same new ISR), or is the leader of an unclean election;
 *  8. an unclean leader (one outside the ISR before) is elected only when unclean election
 *     was enabled for its topic, or asked for by ElectLeaders for that partition; its ISR is
 *     then itself alone.
 *
 * Reproduce a failure: FC_SEED=<seed printed by fast-check> npx vitest run <this file>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import type { KeyValue, MetadataStore, Txn, TxnResult } from '../metadata/metadata-store.ts';
import { SimulatedMetadataStore } from '../metadata/simulated/index.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { decodeConfigRecord, decodeControllerRecord, decodePartitionRecord, decodeTopicRecord, encodeBrokerRegistration, type PartitionRecord } from './cluster-records.ts';
import { Controller } from './controller.ts';
import type { ControllerReply } from './controller-types.ts';

const brokerIds = [1, 2, 3, 4];
const topicNames = ['a', 'b', 'c'];
const leaseTtlMs = 3000;

type Step =
  | { t: 'advance'; ms: number }
  | { t: 'kill' | 'pause' | 'register' | 'refresh' | 'campaign' | 'tick'; id: number }
  | { t: 'create'; id: number; name: string; partitions: number; rf: number }
  | { t: 'add'; id: number; name: string; more: number }
  | { t: 'delete'; id: number; name: string }
  | { t: 'shutdown'; id: number; target: number }
  | { t: 'config'; id: number; name: string; value: string }
  | { t: 'faults'; unavailable: number; unknown: number; early: number }
  | { t: 'isr'; id: number; name: string; partition: number; members: number[]; stale: boolean }
  | { t: 'unclean'; id: number; name: string; on: boolean }
  | { t: 'elect'; id: number; name: string; partition: number; unclean: boolean; all: boolean }
  | { t: 'reassign'; id: number; name: string; partition: number; replicas: number[] | null };

const id = fc.constantFrom(...brokerIds);
const name = fc.constantFrom(...topicNames);
const partition = fc.integer({ min: 0, max: 3 });
const isrStep = fc.record({ t: fc.constant('isr' as const), id, name, partition, members: fc.subarray(brokerIds), stale: fc.boolean() });
const uncleanStep = fc.record({ t: fc.constant('unclean' as const), id, name, on: fc.boolean() });
const electStep = fc.record({ t: fc.constant('elect' as const), id, name, partition, unclean: fc.boolean(), all: fc.boolean() });
const reassignStep = fc.record({ t: fc.constant('reassign' as const), id, name, partition, replicas: fc.option(fc.shuffledSubarray(brokerIds, { minLength: 1, maxLength: 3 }), { nil: null }) });
const brokerStep = fc.record({ t: fc.constantFrom('kill' as const, 'pause' as const, 'register' as const, 'tick' as const, 'refresh' as const, 'campaign' as const), id });
/** Weighted to partition state changes (issue 14): the topics exist from the start. */
const replicationStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: isrStep },
  { weight: 3, arbitrary: uncleanStep },
  { weight: 3, arbitrary: electStep },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('kill' as const), id }) },
  { weight: 3, arbitrary: reassignStep },
  { weight: 5, arbitrary: brokerStep },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('shutdown' as const), id, target: id }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('faults' as const), unavailable: fc.constantFrom(0, 0.1, 0.3), unknown: fc.constantFrom(0, 0.1, 0.3), early: fc.constantFrom(0, 0.1) }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: isrStep },
  { weight: 1, arbitrary: uncleanStep },
  { weight: 1, arbitrary: electStep },
  { weight: 1, arbitrary: reassignStep },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 4000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('kill' as const, 'pause' as const), id }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('register' as const), id }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constantFrom('refresh' as const, 'campaign' as const, 'tick' as const), id }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('create' as const), id, name, partitions: fc.integer({ min: 1, max: 8 }), rf: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('add' as const), id, name, more: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), id, name }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('shutdown' as const), id, target: id }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('config' as const), id, name, value: fc.constantFrom('1', '2', '3') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('faults' as const), unavailable: fc.constantFrom(0, 0.1, 0.3), unknown: fc.constantFrom(0, 0.1, 0.3), early: fc.constantFrom(0, 0.1) }) },
);

interface Broker {
  controller: Controller;
  lease: string;
  renewing: boolean;
}

class Harness {
  readonly clock = new ManualClock();
  readonly keys = new ClusterKeys('prop');
  readonly store: SimulatedMetadataStore;
  readonly brokers = new Map<number, Broker>();
  /** Epochs each broker won (the controller key's createRevision when its campaign landed). */
  readonly won = new Map<number, Set<number>>();
  readonly writersByEpoch = new Map<number, Set<number>>();
  readonly epochs = new Map<string, { leaderEpoch: number; partitionEpoch: number; bytes: string }>();
  /** Acked creations: name → topic id and partition count; dropped once a delete is asked for. */
  readonly acked = new Map<string, { topicId: string; count: number }>();
  readonly pending: Promise<unknown>[] = [];
  /** Acked config changes: topic name → the overrides acked; dropped when a later change or delete is asked for. */
  readonly ackedConfigs = new Map<string, Record<string, string>>();
  /** AlterPartition proposals made: partition key → `partitionEpoch:isr` of each. */
  readonly proposals = new Map<string, Set<string>>();
  /** Topics for which unclean election was ever asked to be on (a controller may act on it until it sees it off). */
  readonly uncleanTopics = new Set<string>();
  /** Partition keys an unclean ElectLeaders was asked for (by name: any incarnation). */
  readonly uncleanElections = new Set<string>();
  /** Invariant 1, 7 and 8 violations seen at write time (thrown from check(), not from inside the store). */
  readonly violations: string[] = [];
  acceptedProposals = 0;
  uncleanLeaders = 0;
  reassignmentsDone = 0;
  private readonly seed: number;
  private generation = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.store = new SimulatedMetadataStore({ clock: this.clock, random: createRandom(seed) });
  }

  /** The store as broker `brokerId` sees it: every txn is checked against invariant 1. */
  storeFor(brokerId: number): MetadataStore {
    const inner = this.store;
    const check = (txn: Txn): Promise<TxnResult> => {
      const before = inner.revision;
      const ctrl = this.controllerKv();
      const partitions = this.partitionRecords();
      const result = inner.txn(txn); // the simulated store applies (or not) inside the call
      if (inner.revision !== before) {
        this.landed(brokerId, txn, ctrl);
        this.checkIsrChanges(partitions);
      }
      return result;
    };
    return new Proxy(inner, {
      get: (target, prop) => (prop === 'txn' ? check : (Reflect.get(target, prop) as unknown) instanceof Function ? (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target) : Reflect.get(target, prop)),
    });
  }

  private partitionRecords(): Map<string, PartitionRecord> {
    const out = new Map<string, PartitionRecord>();
    for (const kv of this.store.snapshot().kvs) if (this.keys.parse(kv.key)?.kind === 'partition') out.set(kv.key, decodePartitionRecord(kv.value));
    return out;
  }

  /** Invariants 7 and 8, for every partition a write changed. */
  private checkIsrChanges(before: Map<string, PartitionRecord>): void {
    for (const [key, next] of this.partitionRecords()) {
      const prev = before.get(key);
      if (!prev || prev.topicId !== next.topicId || prev.partitionEpoch === next.partitionEpoch) continue;
      const topic = (this.keys.parse(key) as { topic: string }).topic;
      const uncleanAllowed = this.uncleanTopics.has(topic) || this.uncleanElections.has(key);
      const unclean = next.leader !== -1 && !prev.isr.includes(next.leader);
      if (unclean && !(uncleanAllowed && next.isr.length === 1)) this.violations.push(`${key}: leader ${next.leader} outside the ISR [${prev.isr.join(',')}] elected (unclean allowed: ${uncleanAllowed}, ISR [${next.isr.join(',')}])`);
      if (unclean) this.uncleanLeaders += 1;
      if ((prev.addingReplicas?.length ?? 0) + (prev.removingReplicas?.length ?? 0) > 0 && next.addingReplicas === undefined && next.replicas.length <= prev.replicas.length) this.reassignmentsDone += 1;
      const joined = next.isr.filter((b) => !prev.isr.includes(b));
      if (joined.length === 0 || unclean) continue;
      if (!this.proposals.get(key)?.has(`${prev.partitionEpoch}:${next.isr.join(',')}`)) this.violations.push(`${key}: broker(s) ${joined.join(',')} joined the ISR [${next.isr.join(',')}] at partition epoch ${next.partitionEpoch} with no AlterPartition from epoch ${prev.partitionEpoch}`);
    }
  }

  private controllerKv(): KeyValue | null {
    return this.store.snapshot().kvs.find((kv) => kv.key === this.keys.controller) ?? null;
  }

  private landed(brokerId: number, txn: Txn, ctrlBefore: KeyValue | null): void {
    const isCampaign = txn.compare.length === 1 && txn.compare[0]!.key === this.keys.controller && txn.compare[0]!.target === 'createRevision' && txn.compare[0]!.value === 0;
    if (isCampaign) {
      const set = this.won.get(brokerId) ?? new Set<number>();
      set.add(this.store.revision);
      this.won.set(brokerId, set);
      return;
    }
    if (!ctrlBefore) return void this.violations.push(`broker ${brokerId} wrote at revision ${this.store.revision} with no controller`);
    const holder = decodeControllerRecord(ctrlBefore.value).brokerId;
    if (holder !== brokerId || !this.won.get(brokerId)?.has(ctrlBefore.createRevision)) {
      return void this.violations.push(`broker ${brokerId} wrote at revision ${this.store.revision} while broker ${holder} held epoch ${ctrlBefore.createRevision}`);
    }
    const writers = this.writersByEpoch.get(ctrlBefore.createRevision) ?? new Set<number>();
    writers.add(brokerId);
    this.writersByEpoch.set(ctrlBefore.createRevision, writers);
    if (writers.size > 1) this.violations.push(`epoch ${ctrlBefore.createRevision} has writers ${[...writers].join(',')}`);
  }

  registered(): Set<number> {
    const out = new Set<number>();
    for (const kv of this.store.snapshot().kvs) {
      const k = this.keys.parse(kv.key);
      if (k?.kind === 'broker') out.add(k.brokerId);
    }
    return out;
  }

  async register(brokerId: number): Promise<void> {
    if (this.registered().has(brokerId)) return;
    try {
      const lease = await this.store.grantLease(leaseTtlMs);
      const g = ++this.generation;
      await this.store.put(this.keys.broker(brokerId), encodeBrokerRegistration({ brokerId, host: '127.0.0.1', port: 9000 + brokerId, rack: null, incarnation: `g${g}` }), { lease: lease.id });
      const controller = new Controller({ store: this.storeFor(brokerId), keys: this.keys, brokerId, clock: this.clock, random: createRandom(this.seed + g), retryBackoffMs: 0, unavailableRetriesMax: 2, leaderImbalanceCheckIntervalMs: 2000 });
      this.brokers.set(brokerId, { controller, lease: lease.id, renewing: true });
    } catch {
      // refused or timed out: the broker stays unregistered (a lease left behind expires)
    }
  }

  async advance(ms: number): Promise<void> {
    for (const b of this.brokers.values()) {
      if (!b.renewing) continue;
      await this.store.keepAlive(b.lease).catch(() => (b.renewing = false));
    }
    this.clock.advance(ms);
  }

  /**
   * What the brokers' watches and run loops do between steps: every renewing broker reads
   * the store, and if the controller key is free the first of them campaigns. Paused and
   * dead brokers see nothing (they act on their stale image when a step picks them).
   */
  async settle(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      for (const b of this.brokers.values()) if (b.renewing) await b.controller.refresh().catch(() => undefined);
      if (this.controllerKv()) return;
      const candidate = [...this.brokers.values()].find((b) => b.renewing);
      if (candidate) await candidate.controller.campaign(candidate.lease);
    }
  }

  /**
   * A request goes to the broker picked if it thinks it is the controller, else to one that
   * does; an odd broker id prefers a paused one (a deposed controller waking up late).
   */
  async request(brokerId: number, ask: (c: Controller) => Promise<ControllerReply>, onAck?: (r: ControllerReply) => void): Promise<void> {
    const believers = [...this.brokers.values()].filter((x) => x.controller.isController);
    const zombie = brokerId % 2 === 1 ? believers.find((x) => !x.renewing) : undefined;
    const b = zombie ?? (this.brokers.get(brokerId)?.controller.isController ? this.brokers.get(brokerId) : believers[brokerId % Math.max(1, believers.length)]);
    if (!b) return;
    const reply = await ask(b.controller);
    if (reply.ok) onAck?.(reply);
  }

  check(): void {
    expect(this.violations).toEqual([]);
    const kvs = this.store.snapshot().kvs;
    const topics = new Map<string, { topicId: string; partitionCount: number }>();
    for (const kv of kvs) {
      const k = this.keys.parse(kv.key);
      if (k?.kind === 'topic') topics.set(k.topic, decodeTopicRecord(kv.value));
      if (k?.kind !== 'partition') continue;
      const r = decodePartitionRecord(kv.value); // invariant 3
      const key = `${r.topicId}/${r.partition}`;
      const bytes = new TextDecoder().decode(kv.value);
      const prev = this.epochs.get(key);
      if (prev) {
        expect(r.leaderEpoch).toBeGreaterThanOrEqual(prev.leaderEpoch);
        expect(r.partitionEpoch).toBeGreaterThanOrEqual(prev.partitionEpoch);
        if (bytes !== prev.bytes) expect(r.partitionEpoch).toBeGreaterThan(prev.partitionEpoch);
      }
      this.epochs.set(key, { leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch, bytes });
    }
    for (const [topic, configs] of this.ackedConfigs) {
      const kv = kvs.find((x) => x.key === this.keys.topicConfig(topic));
      expect({ topic, configs: kv ? decodeConfigRecord(kv.value).configs : null }).toEqual({ topic, configs });
    }
    for (const [topic, a] of this.acked) {
      const t = topics.get(topic);
      expect({ topic, topicId: t?.topicId }).toEqual({ topic, topicId: a.topicId });
      expect(t!.partitionCount).toBeGreaterThanOrEqual(a.count);
      for (let p = 0; p < t!.partitionCount; p++) {
        const kv = kvs.find((x) => x.key === this.keys.partition(topic, p));
        expect({ topic, p, topicId: kv && decodePartitionRecord(kv.value).topicId }).toEqual({ topic, p, topicId: a.topicId });
      }
    }
  }

  async run(s: Step): Promise<void> {
    const b = 'id' in s ? this.brokers.get(s.id) : undefined;
    switch (s.t) {
      case 'advance':
        return this.advance(s.ms);
      case 'kill':
        if (b) this.store.expireLease(b.lease);
        return;
      case 'pause':
        if (b) b.renewing = false;
        return;
      case 'register':
        return this.register(s.id);
      case 'refresh':
        await b?.controller.refresh().catch(() => undefined);
        return;
      case 'campaign':
        if (b) await b.controller.campaign(b.lease);
        return;
      case 'tick':
        await b?.controller.tick();
        return;
      case 'faults':
        this.store.configureFaults({ unavailableProbability: s.unavailable, unknownOutcomeProbability: s.unknown, leaseEarlyExpiryProbability: s.early });
        return;
      case 'create': {
        this.ackedConfigs.delete(s.name); // a creation (after a delete not seen as acked) may clear the key
        const live = this.registered();
        return this.request(s.id, (c) => c.createTopic({ name: s.name, partitionCount: s.partitions, replicationFactor: s.rf }), (r) => {
          if (!r.ok || !r.topicId) return;
          this.acked.set(s.name, { topicId: r.topicId, count: s.partitions });
          for (const kv of this.store.snapshot().kvs) {
            const k = this.keys.parse(kv.key);
            if (k?.kind !== 'partition' || k.topic !== s.name) continue;
            const rec = decodePartitionRecord(kv.value);
            if (rec.topicId === r.topicId) for (const replica of rec.replicas) expect({ replica, live: live.has(replica) }).toEqual({ replica, live: true }); // invariant 5
          }
        });
      }
      case 'add': {
        const before = this.acked.get(s.name);
        let total = 0;
        return this.request(s.id, async (c) => {
          const t = c.state.image.topics.get(s.name);
          total = (t?.record.partitionCount ?? 0) + s.more;
          return t ? c.createPartitions({ topic: s.name, totalCount: total }) : { ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: '' };
        }, (r) => {
          if (before && r.ok && r.topicId === before.topicId) this.acked.set(s.name, { ...before, count: total });
        });
      }
      case 'config':
        this.ackedConfigs.delete(s.name);
        return this.request(s.id, (c) => c.alterConfigs({ resource: { type: 'topic', name: s.name }, mode: 'replace', configs: { 'retention.ms': s.value } }), () => {
          this.ackedConfigs.set(s.name, { 'retention.ms': s.value });
        });
      case 'delete':
        this.acked.delete(s.name);
        this.ackedConfigs.delete(s.name);
        return this.request(s.id, (c) => c.deleteTopic(s.name));
      case 'isr': {
        // The partition's leader proposes an ISR from the state it saw (the store's, or a stale one).
        const key = this.keys.partition(s.name, s.partition);
        const kv = this.store.snapshot().kvs.find((x) => x.key === key);
        const topicKv = this.store.snapshot().kvs.find((x) => x.key === this.keys.topic(s.name));
        if (!kv || !topicKv) return;
        const r = decodePartitionRecord(kv.value);
        if (r.leader === -1) return;
        const newIsr = [r.leader, ...s.members.filter((m) => m !== r.leader && r.replicas.includes(m))];
        const partitionEpoch = s.stale ? Math.max(0, r.partitionEpoch - 1) : r.partitionEpoch;
        const seen = this.proposals.get(key) ?? new Set<string>();
        seen.add(`${partitionEpoch}:${newIsr.join(',')}`);
        this.proposals.set(key, seen);
        const topicId = decodeTopicRecord(topicKv.value).topicId;
        return this.request(s.id, (c) => c.alterPartition({ topic: s.name, topicId, partition: s.partition, leaderId: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch, newIsr }), (reply) => {
          this.acceptedProposals += 1;
          // An accepted proposal answers the ISR proposed, at a later partition epoch (or the
          // same when nothing changed). A stale one may be answered so only when an equal
          // write landed before and the probe of a lost answer reads it back: it changed
          // nothing (invariant 7 checks every write).
          const after = reply.ok ? reply.partition : undefined;
          expect({ isr: after?.isr, later: after !== undefined && after.partitionEpoch >= partitionEpoch }).toEqual({ isr: newIsr, later: true });
        });
      }
      case 'unclean':
        this.ackedConfigs.delete(s.name);
        if (s.on) this.uncleanTopics.add(s.name);
        return this.request(s.id, (c) => c.alterConfigs({ resource: { type: 'topic', name: s.name }, mode: 'incremental', configs: { 'unclean.leader.election.enable': String(s.on) } }));
      case 'elect': {
        if (s.unclean) {
          if (s.all) for (const t of topicNames) for (let p = 0; p < 16; p++) this.uncleanElections.add(this.keys.partition(t, p));
          else this.uncleanElections.add(this.keys.partition(s.name, s.partition));
        }
        return this.request(s.id, (c) => c.electLeaders({ type: s.unclean ? 'unclean' : 'preferred', partitions: s.all ? null : [{ topic: s.name, partition: s.partition }] }));
      }
      case 'reassign':
        return this.request(s.id, (c) => c.reassignPartitions({ partitions: [{ topic: s.name, partition: s.partition, replicas: s.replicas }] }));
      case 'shutdown':
        // The reply waits for an image that shows the moves: not awaited here.
        if (b) this.pending.push(b.controller.controlledShutdown(s.target));
        return;
    }
  }
}

/**
 * Runs `steps`, checking the invariants after each step and after the brokers settle; then,
 * faults off and everyone caught up, checks once more; adds what the run reached to `seen`.
 */
async function runSteps(h: Harness, steps: readonly Step[], seen: { acceptedProposals: number; uncleanLeaders: number; reassignmentsDone: number }): Promise<void> {
  for (const s of steps) {
    await h.run(s);
    h.check();
    await h.settle();
    h.check();
  }
  h.store.configureFaults({});
  for (const b of h.brokers.values()) await b.controller.refresh().catch(() => undefined);
  h.check();
  seen.acceptedProposals += h.acceptedProposals;
  seen.uncleanLeaders += h.uncleanLeaders;
  seen.reassignmentsDone += h.reassignmentsDone;
}

describe('Controller (property)', () => {
  it('keeps its invariants under random steps and store faults', async () => {
    const seen = { acceptedProposals: 0, uncleanLeaders: 0, reassignmentsDone: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), fc.array(step, { minLength: 5, maxLength: 60 }), async (seed, steps) => {
        const h = new Harness(seed);
        for (const brokerId of brokerIds.slice(0, 3)) await h.register(brokerId);
        await runSteps(h, steps, seen);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('keeps its invariants under ISR proposals, unclean elections, ElectLeaders and reassignments', async () => {
    const seen = { acceptedProposals: 0, uncleanLeaders: 0, reassignmentsDone: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), fc.array(replicationStep, { minLength: 10, maxLength: 40, size: 'medium' }), async (seed, steps) => {
        const h = new Harness(seed);
        for (const brokerId of brokerIds) await h.register(brokerId);
        await h.settle();
        for (const [i, topic] of topicNames.entries()) await h.run({ t: 'create', id: 1, name: topic, partitions: 4, rf: i === 2 ? 3 : 2 });
        await h.settle();
        await runSteps(h, steps, seen);
      }),
      { numRuns: 60 },
    );
    // The steps do reach the paths invariants 7 and 8 watch.
    expect(seen.acceptedProposals).toBeGreaterThan(50);
    expect(seen.uncleanLeaders).toBeGreaterThan(0);
    expect(seen.reassignmentsDone).toBeGreaterThan(0);
  }, 120_000);
});
