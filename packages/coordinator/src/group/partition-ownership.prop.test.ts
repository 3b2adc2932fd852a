/**
 * Property test of per-partition ownership (partition-ownership.ts) against a model: a
 * cluster's coordinator gains and loses `__consumer_offsets` partitions at random
 * (loadPartition, a replay of the partition's log as it is at that moment,
 * loadPartitionCompleted; unloadPartition; a new load while one runs), interleaved with
 * simple offset commits of groups on every partition, joins that park, appends that
 * complete or fail in order, and time passing.
 *
 * Invariants, checked after every step:
 *  1. no group answers from a partition that is not owned: OffsetFetch of every group gets
 *     NOT_COORDINATOR (not owned) or COORDINATOR_LOAD_IN_PROGRESS (loading), and only
 *     groups of owned partitions are in memory;
 *  2. an acknowledged commit (NONE) is in its partition's log, and was issued and completed
 *     under one ownership (a commit whose append completes after an unload is answered
 *     NOT_COORDINATOR, never NONE);
 *  3. offsets after a reload: OffsetFetch of every group of a loaded partition returns
 *     exactly the last offset its log held when the load began, or the last commit
 *     acknowledged since (so every commit acknowledged before an unload is back after the
 *     reload, and nothing unacknowledged appears unless its record reached the log);
 *  4. liveness: once clients stop, appends complete and time passes, every request has
 *     been answered exactly once (the harness rejects a second answer).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode as E } from '@samsa/codec';
import { consumerOffsetsPartitionFor, decodeConsumerOffsetsRecord } from '../index.ts';
import { Harness, TEST_CONFIG } from '../../test/group-harness.ts';

const PARTITIONS = 3;
const GROUPS_PER_PARTITION = 2;
const TOPIC_PARTITIONS = 2;
const CONFIG = { ...TEST_CONFIG, offsetsTopicNumPartitions: PARTITIONS };

/** GROUPS_PER_PARTITION group ids per `__consumer_offsets` partition: GROUPS[p][i]. */
const GROUPS: string[][] = Array.from({ length: PARTITIONS }, () => []);
for (let i = 0; GROUPS.some((gs) => gs.length < GROUPS_PER_PARTITION) && i < 10_000; i++) {
  const gs = GROUPS[consumerOffsetsPartitionFor(`group-${i}`, PARTITIONS)]!;
  if (gs.length < GROUPS_PER_PARTITION) gs.push(`group-${i}`);
}

type Op =
  | { t: 'commit'; p: number; g: number; tp: number }
  | { t: 'join'; p: number }
  | { t: 'complete'; fail: boolean }
  | { t: 'load'; p: number }
  | { t: 'loaded'; p: number }
  | { t: 'unload'; p: number }
  | { t: 'advance'; ms: number };

interface Commit {
  readonly id: number;
  readonly p: number;
  readonly group: string;
  readonly tp: number;
  readonly offset: number;
}

type Ownership = 'none' | 'loading' | 'loaded';

class Sim {
  readonly h = new Harness(CONFIG, 1, false, false);
  readonly owner: Ownership[] = Array.from({ length: PARTITIONS }, () => 'none');
  /** What OffsetFetch must return for a group of a loaded partition: key `${group}/${tp}`. */
  readonly expected = new Map<string, number>();
  readonly commits: Commit[] = [];
  readonly requests: number[] = [];
  nextOffset = 0;

  constructor() {
    this.h.autoComplete = false;
  }

  step(op: Op): void {
    const h = this.h;
    switch (op.t) {
      case 'commit': {
        const group = GROUPS[op.p]![op.g]!;
        const offset = this.nextOffset++;
        const id = h.commit(group, '', -1, [{ topic: 't', partition: op.tp, offset }]);
        this.commits.push({ id, p: op.p, group, tp: op.tp, offset });
        const r = h.response(id, 'OffsetCommit');
        if (this.owner[op.p] === 'none') expect(r?.topics[0]!.partitions[0]!.errorCode).toBe(E.NOT_COORDINATOR);
        if (this.owner[op.p] === 'loading') expect(r?.topics[0]!.partitions[0]!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
        break;
      }
      case 'join':
        this.requests.push(h.join(GROUPS[op.p]![GROUPS_PER_PARTITION - 1]!));
        break;
      case 'complete':
        if (h.pending.length > 0) h.complete(h.pending[0]!, op.fail ? E.NOT_ENOUGH_REPLICAS : 0);
        break;
      case 'load': {
        // A broker that became leader: replay the partition's log as it is now (appends completing later are not in it).
        h.apply(h.c.loadPartition(op.p));
        const log = [...(h.logByPartition.get(op.p) ?? [])];
        h.c.load(log);
        for (const k of [...this.expected.keys()]) if (this.partitionOfKey(k) === op.p) this.expected.delete(k);
        for (const r of log) {
          const rec = decodeConsumerOffsetsRecord(r.key, r.value);
          if (rec.kind !== 'offset') continue;
          const k = `${rec.key.group}/${rec.key.partition}`;
          if (rec.value === null) this.expected.delete(k);
          else this.expected.set(k, rec.value.offset);
        }
        this.owner[op.p] = 'loading';
        break;
      }
      case 'loaded':
        if (this.owner[op.p] !== 'loading') return;
        h.apply(h.c.loadPartitionCompleted(op.p, h.nowMs));
        this.owner[op.p] = 'loaded';
        break;
      case 'unload':
        h.apply(h.c.unloadPartition(op.p));
        this.owner[op.p] = 'none';
        break;
      case 'advance':
        h.advance(op.ms);
        break;
    }
    this.check();
  }

  partitionOfKey(k: string): number {
    return consumerOffsetsPartitionFor(k.slice(0, k.lastIndexOf('/')), PARTITIONS);
  }

  check(): void {
    const h = this.h;
    // 2: acknowledged commits.
    // In issue order: a later acknowledgement of the same key wins.
    for (const c of [...this.commits]) {
      const r = h.response(c.id, 'OffsetCommit');
      if (r === undefined) continue;
      this.commits.splice(this.commits.indexOf(c), 1);
      if (r.topics[0]!.partitions[0]!.errorCode !== E.NONE) continue;
      coverage.acked++;
      expect(this.owner[c.p]).toBe('loaded');
      const logged = (h.logByPartition.get(c.p) ?? []).some((rec) => {
        const d = decodeConsumerOffsetsRecord(rec.key, rec.value);
        return d.kind === 'offset' && d.key.group === c.group && d.key.partition === c.tp && d.value?.offset === c.offset;
      });
      expect(logged).toBe(true);
      this.expected.set(`${c.group}/${c.tp}`, c.offset);
    }
    // 1 and 3.
    const inMemory = new Set(h.c.describeState().map((g) => g.groupId));
    for (let p = 0; p < PARTITIONS; p++) {
      for (const group of GROUPS[p]!) {
        if (this.owner[p] === 'none') expect(inMemory.has(group)).toBe(false);
        const body = h.response(h.fetch(group, [{ name: 't', partitionIndexes: Array.from({ length: TOPIC_PARTITIONS }, (_, i) => i) }]), 'OffsetFetch')!;
        if (this.owner[p] !== 'loaded') {
          expect(body.errorCode).toBe(this.owner[p] === 'none' ? E.NOT_COORDINATOR : E.COORDINATOR_LOAD_IN_PROGRESS);
          continue;
        }
        expect(body.errorCode).toBe(E.NONE);
        for (const part of body.topics[0]!.partitions) expect(part.committedOffset).toBe(this.expected.get(`${group}/${part.partitionIndex}`) ?? -1);
        if (body.topics[0]!.partitions.some((x) => x.committedOffset >= 0)) coverage.servedOffsets++;
      }
    }
  }

  /** 4: stop, load everything, complete every append, let time pass: nothing is left unanswered. */
  drain(): void {
    for (let p = 0; p < PARTITIONS; p++) {
      if (this.owner[p] === 'none') this.step({ t: 'load', p });
      this.step({ t: 'loaded', p });
    }
    for (let i = 0; i < 5; i++) {
      this.h.completeAll();
      this.h.advance(60_000);
    }
    this.check();
    expect(this.commits).toEqual([]);
    for (const id of this.requests) expect(this.h.responses.has(id)).toBe(true);
    expect(this.h.c.pendingAppends).toBe(0);
  }
}

const coverage = { acked: 0, servedOffsets: 0, reloadsWithOffsets: 0 };

const part = fc.integer({ min: 0, max: PARTITIONS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('commit' as const), p: part, g: fc.integer({ min: 0, max: GROUPS_PER_PARTITION - 1 }), tp: fc.integer({ min: 0, max: TOPIC_PARTITIONS - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('join' as const), p: part }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('complete' as const), fail: fc.integer({ min: 0, max: 5 }).map((n) => n === 0) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('load' as const), p: part }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('loaded' as const), p: part }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('unload' as const), p: part }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
);

describe('partition ownership against a model', () => {
  it('serves only loaded partitions, never acknowledges a stale append, and a reload brings back every acknowledged commit', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 100, size: 'max' }), (ops) => {
        const sim = new Sim();
        for (const op of ops) {
          sim.step(op);
          if (op.t === 'loaded' && sim.expected.size > 0) coverage.reloadsWithOffsets++;
        }
        sim.drain();
      }),
      { numRuns: 100 },
    );
    expect(coverage.acked).toBeGreaterThan(0);
    expect(coverage.servedOffsets).toBeGreaterThan(0);
    expect(coverage.reloadsWithOffsets).toBeGreaterThan(0);
  });
});
