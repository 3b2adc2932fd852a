// ClusterMember on the simulated metadata store with a manual clock: registration, one
// controller and converging views, lease expiry (gone from the others' views, leaseValid
// false, re-registration), a deposed controller, a duplicate node id, an unreachable store
// at start, and the lease window counted from when a keepalive was SENT.
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { MetadataStoreError, SimulatedMetadataStore, encodeBrokerRegistration } from '@samsa/coordinator';
import type { KeyValue, Lease, MetadataStore, RangeResult, Txn, TxnResult, WatchBatch } from '@samsa/coordinator';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../observability/logger.ts';
import { ClusterMember, ClusterMemberStartError, type ClusterMemberOptions } from './cluster-member.ts';
import type { ClusterView } from './cluster-view.ts';

const SESSION_MS = 9000;
const HEARTBEAT_MS = 2000;
const MARGIN_MS = 900; // the default: min(1000, TTL / 10)

/** One broker's link to the shared store: the test can cut it off or slow its answers. */
class Link implements MetadataStore {
  cut = false;
  /** Answers (not effects) arrive this much later on the clock. */
  answerDelayMs = 0;
  readonly #inner: SimulatedMetadataStore;
  readonly #clock: ManualClock;
  readonly #watches = new Set<AbortController>();

  constructor(inner: SimulatedMetadataStore, clock: ManualClock) {
    this.#inner = inner;
    this.#clock = clock;
  }

  setCut(cut: boolean): void {
    this.cut = cut;
    if (cut) for (const w of this.#watches) w.abort();
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    if (this.cut) throw new MetadataStoreError('unavailable', 'cut off (test)');
    const delayMs = this.answerDelayMs;
    const settled = call().then((value) => ({ value }), (error: unknown) => ({ error }));
    if (delayMs > 0) await this.#clock.sleep(delayMs);
    const outcome = await settled;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult> {
    return this.#call(() => this.#inner.range(prefix, options));
  }
  get(key: string): Promise<KeyValue | null> {
    return this.#call(() => this.#inner.get(key));
  }
  put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number> {
    return this.#call(() => this.#inner.put(key, value, options));
  }
  delete(key: string): Promise<number> {
    return this.#call(() => this.#inner.delete(key));
  }
  txn(txn: Txn): Promise<TxnResult> {
    return this.#call(() => this.#inner.txn(txn));
  }
  grantLease(ttlMs: number): Promise<Lease> {
    return this.#call(() => this.#inner.grantLease(ttlMs));
  }
  keepAlive(leaseId: string): Promise<number> {
    return this.#call(() => this.#inner.keepAlive(leaseId));
  }
  revokeLease(leaseId: string): Promise<void> {
    return this.#call(() => this.#inner.revokeLease(leaseId));
  }
  async *watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch> {
    if (this.cut) throw new MetadataStoreError('unavailable', 'cut off (test)');
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort);
    this.#watches.add(inner);
    try {
      for await (const batch of this.#inner.watch(prefix, fromRevision, inner.signal)) yield batch;
      if (!signal.aborted) throw new MetadataStoreError('unavailable', 'watch cut off (test)');
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watches.delete(inner);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
}

function capturingLogger(lines: LogLine[]): Logger {
  const at = (level: LogLine['level']) => (_obj: object, msg?: string): void => {
    lines.push({ level, msg: msg ?? '' });
  };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

class Harness {
  readonly clock = new ManualClock();
  readonly store: SimulatedMetadataStore;
  readonly members: ClusterMember[] = [];
  readonly links = new Map<ClusterMember, Link>();
  readonly logs = new Map<ClusterMember, LogLine[]>();
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
    this.store = new SimulatedMetadataStore({ clock: this.clock, random: createRandom(seed) });
  }

  add(nodeId: number, extra: Partial<ClusterMemberOptions> = {}): ClusterMember {
    const link = new Link(this.store, this.clock);
    const lines: LogLine[] = [];
    const member = new ClusterMember({
      store: link,
      clusterId: 'test',
      nodeId,
      endpoint: { host: '127.0.0.1', port: 9090 + nodeId },
      rack: null,
      clock: this.clock,
      random: createRandom(this.#seed * 100 + nodeId + this.members.length * 1000),
      logger: capturingLogger(lines),
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: HEARTBEAT_MS,
      ...extra,
    });
    this.members.push(member);
    this.links.set(member, link);
    this.logs.set(member, lines);
    return member;
  }

  link(m: ClusterMember): Link {
    return this.links.get(m)!;
  }

  errors(m: ClusterMember): string[] {
    return this.logs.get(m)!.filter((l) => l.level === 'error').map((l) => l.msg);
  }

  /** Moves the clock in small steps, letting promise continuations run between timers. */
  async advance(ms: number, stepMs = 100): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) await this.clock.advanceAsync(Math.min(stepMs, ms - done));
  }

  async stopAll(): Promise<void> {
    for (const l of this.links.values()) l.setCut(false);
    const stops = this.members.map((m) => m.stop());
    // stop() bounds its waits on the clock: keep it moving until every stop is done.
    let done = false;
    void Promise.all(stops).then(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) await this.clock.advanceAsync(100);
    await Promise.all(stops);
  }
}

/** Bounded poll: a macrotask per round lets the members' promises run. */
async function until(what: string, done: () => boolean, roundsMax = 3000): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`not reached: ${what}`);
}

/** Polls while moving the clock (for conditions that need timers to fire). */
async function untilAdvancing(h: Harness, what: string, done: () => boolean, msMax = 60_000): Promise<void> {
  for (let elapsed = 0; elapsed <= msMax; elapsed += 100) {
    if (done()) return;
    await h.clock.advanceAsync(100);
  }
  throw new Error(`not reached within ${msMax} ms of clock: ${what}`);
}

function converged(members: readonly ClusterMember[], brokerIds: readonly number[]): boolean {
  const views = members.map((m) => m.view());
  const first = views[0]!;
  return views.every(
    (v) => v.revision === first.revision && v.controllerId !== -1 && v.controllerId === first.controllerId && [...v.brokers.keys()].sort().join() === [...brokerIds].sort().join(),
  );
}

async function startAll(h: Harness, members: readonly ClusterMember[]): Promise<void> {
  await Promise.all(members.map((m) => m.start()));
  await until('views converge with one controller', () => converged(members, members.map((m) => m.nodeId)) && members.filter((m) => m.isController).length === 1);
}

describe('ClusterMember', () => {
  it('three members register, exactly one is controller, and their views converge', async () => {
    const h = new Harness(1);
    const members = [1, 2, 3].map((id) => h.add(id, id === 3 ? { replicationPort: 19093 } : {}));
    try {
      await startAll(h, members);
      // The replica-fetch port travels in the registration (issue 14); none registered, none shown.
      expect(members[0]!.view().brokers.get(3)?.replicationPort).toBe(19093);
      expect(members[0]!.view().brokers.get(2)?.replicationPort).toBeUndefined();
      const controllers = members.filter((m) => m.isController);
      expect(controllers).toHaveLength(1);
      for (const m of members) {
        expect(m.leaseValid).toBe(true);
        expect(m.view().controllerId).toBe(controllers[0]!.nodeId);
        expect(m.view().brokers.get(2)).toMatchObject({ nodeId: 2, host: '127.0.0.1', port: 9092, rack: null });
      }
      // Keepalives hold the leases: a minute later nothing has changed.
      const revision = members[0]!.view().revision;
      await h.advance(60_000, 500);
      await until('steady', () => converged(members, [1, 2, 3]));
      expect(members.every((m) => m.leaseValid)).toBe(true);
      expect(members[0]!.view().revision).toBe(revision);
      // waitForRevision: at once for a seen revision, false after the timeout for a future one.
      expect(await members[1]!.waitForRevision(revision, 10)).toBe(true);
      const later = members[1]!.waitForRevision(revision + 1, 1000);
      await h.advance(1000);
      expect(await later).toBe(false);
    } finally {
      await h.stopAll();
    }
  });

  it('hands out producer ids no other member hands out, reserving blocks in the store', async () => {
    const h = new Harness(7);
    const members = [1, 2, 3].map((id) => h.add(id));
    try {
      await startAll(h, members);
      // 1,200 ids from each of three brokers at once: more than one block each.
      const ids = await Promise.all(members.flatMap((m) => Array.from({ length: 1200 }, () => m.nextProducerId())));
      expect(new Set(ids).size).toBe(ids.length);
      // Each member's ids only grow (one block after another).
      for (let k = 0; k < 3; k++) {
        const own = ids.slice(k * 1200, (k + 1) * 1200);
        expect(own.every((id, i) => i === 0 || id > own[i - 1]!)).toBe(true);
      }
    } finally {
      await h.stopAll();
    }
  });

  it('an expired lease: the member is gone from the others\' views, its leaseValid is false, then it re-registers', async () => {
    const h = new Harness(2);
    const [one, two, three] = [1, 2, 3].map((id) => h.add(id)) as [ClusterMember, ClusterMember, ClusterMember];
    const seenByOne: ClusterView[] = [];
    try {
      await startAll(h, [one, two, three]);
      one.onView((v) => seenByOne.push(v));
      const epochBefore = one.view().brokers.get(3)!.epoch;
      const incarnationBefore = three.incarnation;
      const leaseChanges: boolean[] = [];
      three.onLeaseChange((valid) => leaseChanges.push(valid));
      h.link(three).setCut(true); // etcd unreachable from broker 3 only
      await untilAdvancing(h, 'broker 3 gone from the others', () => !one.view().brokers.has(3) && !two.view().brokers.has(3));
      expect(three.leaseValid).toBe(false);
      expect(three.isController).toBe(false);
      expect(h.errors(three).some((m) => m.includes('LEASE LOST'))).toBe(true);
      h.link(three).setCut(false);
      await untilAdvancing(h, 'broker 3 back everywhere', () => three.leaseValid && converged([one, two, three], [1, 2, 3]));
      expect(h.errors(three).some((m) => m.includes('LEASE RENEWED'))).toBe(true);
      expect(leaseChanges).toEqual([false, true]);
      expect(three.incarnation).not.toBe(incarnationBefore);
      expect(one.view().brokers.get(3)!.epoch).toBeGreaterThan(epochBefore);
      // broker 1 saw every step, in revision order: without broker 3, then with it again.
      const without = seenByOne.findIndex((v) => !v.brokers.has(3));
      expect(without).toBeGreaterThanOrEqual(0);
      expect(seenByOne.slice(without).some((v) => v.brokers.has(3))).toBe(true);
      for (let i = 1; i < seenByOne.length; i++) expect(seenByOne[i]!.revision).toBeGreaterThan(seenByOne[i - 1]!.revision);

      // The store expires the lease while broker 2 is connected: its next keepalive hears of it
      // (lease-not-found) and it re-registers at once, not only when its window would lapse.
      const lostBefore = h.errors(two).filter((m) => m.includes('LEASE LOST')).length;
      const incarnationTwo = two.incarnation;
      const startMs = h.clock.monotonicMs();
      h.store.expireLease(two.leaseId!);
      await until('broker 2 gone from broker 1\'s view', () => !one.view().brokers.has(2));
      await untilAdvancing(h, 'broker 2 re-registered', () => two.incarnation !== incarnationTwo && two.leaseValid && converged([one, two, three], [1, 2, 3]));
      expect(h.clock.monotonicMs() - startMs).toBeLessThanOrEqual(HEARTBEAT_MS + 500);
      expect(h.errors(two).filter((m) => m.includes('LEASE LOST')).length).toBe(lostBefore + 1);
    } finally {
      await h.stopAll();
    }
  });

  it('re-registered after a lapse, leaseValid turns true only once its view holds the new registration', async () => {
    // A broker paused past its lease (SIGSTOP) or cut from etcd wakes with the view it had:
    // its old registration, itself as leader in an epoch the controller has since replaced.
    // If the lease turned valid before the view caught up, leadsInThisIncarnation would
    // read that stale view and the broker would take writes as a zombie leader (found by the
    // chaos suite: librdkafka's sequence desynchronization with a woken leader).
    const h = new Harness(5);
    const [one, two, three] = [1, 2, 3].map((id) => h.add(id)) as [ClusterMember, ClusterMember, ClusterMember];
    try {
      await startAll(h, [one, two, three]);
      const epochBefore = three.view().brokers.get(3)!.epoch;
      const atValid: { epoch: number | undefined; valid: boolean }[] = [];
      three.onLeaseChange((valid) => atValid.push({ epoch: three.view().brokers.get(3)?.epoch, valid }));
      h.link(three).setCut(true); // its watch ends: the view stays as it was
      await untilAdvancing(h, 'broker 3 gone from the others', () => !one.view().brokers.has(3) && !three.leaseValid);
      expect(three.view().brokers.get(3)?.epoch).toBe(epochBefore); // stale, as a paused broker's would be
      h.link(three).setCut(false);
      await untilAdvancing(h, 'broker 3 valid again', () => three.leaseValid);
      expect(atValid.map((a) => a.valid)).toEqual([false, true]);
      const registered = one.view().brokers.get(3)?.epoch;
      expect(registered).toBeGreaterThan(epochBefore);
      expect(atValid[1]!.epoch).toBe(registered);
      expect(three.view().brokers.get(3)?.epoch).toBe(registered);
    } finally {
      await h.stopAll();
    }
  });

  it('a deposed controller\'s member stops being controller, and another takes over', async () => {
    const h = new Harness(3);
    const members = [1, 2, 3].map((id) => h.add(id));
    try {
      await startAll(h, members);
      const old = members.find((m) => m.isController)!;
      const others = members.filter((m) => m !== old);
      h.link(old).setCut(true);
      await untilAdvancing(h, 'a new controller', () => others.some((m) => m.isController) && others.every((m) => m.view().controllerId !== old.nodeId && m.view().controllerId !== -1));
      expect(old.isController).toBe(false);
      expect(old.localController.isController).toBe(false); // resigned when its lease lapsed
      h.link(old).setCut(false);
      await untilAdvancing(h, 'the old controller back as a plain broker', () => old.leaseValid && converged(members, [1, 2, 3]));
      expect(members.filter((m) => m.isController)).toHaveLength(1);
      expect(old.isController).toBe(false);
    } finally {
      await h.stopAll();
    }
  });

  it('refuses a node id another live broker holds, and takes one whose holder died once its lease expires', async () => {
    const h = new Harness(4);
    const first = h.add(1);
    const twin = h.add(1);
    try {
      await first.start();
      const starting = twin.start().then(() => null, (error: unknown) => error);
      let refused: unknown = null;
      void starting.then((e) => (refused = e));
      await untilAdvancing(h, 'the twin refused', () => refused !== null);
      expect(refused).toBeInstanceOf(ClusterMemberStartError);
      expect((refused as ClusterMemberStartError).code).toBe('node-id-taken');
      expect((refused as Error).message).toMatch(/node\.id 1 is taken in cluster 'test'.*127\.0\.0\.1:9091/);
      const kv = await h.store.get(first.keys.broker(1));
      expect(kv!.lease).toBe(first.leaseId); // untouched
      expect(first.leaseValid).toBe(true);

      // A crashed broker's registration (its lease is never renewed) is taken over once it expires.
      const lease = await h.store.grantLease(SESSION_MS);
      await h.store.put(first.keys.broker(5), encodeBrokerRegistration({ brokerId: 5, host: 'dead', port: 1, rack: null, incarnation: 'x' }), { lease: lease.id });
      const heir = h.add(5);
      let started = false;
      void heir.start().then(() => (started = true));
      await untilAdvancing(h, 'the heir registered', () => started, SESSION_MS + 5000);
      expect((await h.store.get(first.keys.broker(5)))!.lease).toBe(heir.leaseId);
    } finally {
      await h.stopAll();
    }
  });

  it('retries an unreachable store at start with backoff, then fails with a clear error naming it', async () => {
    const h = new Harness(5);
    const member = h.add(1, { startTimeoutMs: 10_000, storeDescription: 'etcd http://127.0.0.1:1' });
    h.link(member).setCut(true);
    let failure: unknown = null;
    void member.start().catch((error: unknown) => (failure = error));
    await untilAdvancing(h, 'start failed', () => failure !== null, 15_000);
    expect(h.clock.monotonicMs()).toBeGreaterThanOrEqual(10_000);
    expect(failure).toBeInstanceOf(ClusterMemberStartError);
    expect((failure as Error).message).toMatch(/could not register in etcd http:\/\/127\.0\.0\.1:1 within 10000 ms \(\d+ attempts; last error: cut off/);
    const retries = h.logs.get(member)!.filter((l) => l.level === 'warn' && l.msg.includes('retrying'));
    expect(retries.length).toBeGreaterThanOrEqual(4);
    expect(retries.length).toBeLessThan(40); // backoff, not a busy loop

    // The store coming back before the deadline: the start succeeds.
    const late = h.add(2, { startTimeoutMs: 10_000 });
    h.link(late).setCut(true);
    let started = false;
    void late.start().then(() => (started = true));
    await h.advance(3000);
    h.link(late).setCut(false);
    await untilAdvancing(h, 'started once the store answered', () => started, 8000);
    expect(late.view().brokers.has(2)).toBe(true);
    await h.stopAll();
  });

  it('counts the lease window from when the keepalive was sent, not when its answer came', async () => {
    const h = new Harness(6);
    const member = h.add(1);
    try {
      await member.start(); // t = 0: lease granted; keepalives at 2000, 4000, ...
      await h.advance(3000); // the 2000 keepalive answered at once: valid until 2000 + 9000 − 900
      h.link(member).answerDelayMs = 3000;
      await h.advance(1000); // t = 4000: a keepalive is sent; the store renews now, the answer comes at 7000
      const sentAtMs = 4000;
      h.link(member).setCut(true); // no later keepalive gets through
      await h.advance(7000); // t = 11000: past the 2000 keepalive's window; valid only thanks to the slow one
      expect(member.leaseValid).toBe(true);
      await h.advance(sentAtMs + SESSION_MS - MARGIN_MS + 100 - h.clock.monotonicMs()); // just past 4000 + 9000 − 900
      expect(member.leaseValid).toBe(false); // counted from the answer (7000) it would last until 15100
      expect(h.errors(member).some((m) => m.includes('LEASE LOST'))).toBe(true);
      await h.advance(1000); // t = 13200: the store has expired the lease by now (4000 + 9000)
      expect(await h.store.get(member.keys.broker(1))).toBeNull();
      expect(member.leaseValid).toBe(false);
    } finally {
      await h.stopAll();
    }
  });

  it('stop revokes the lease: the registration is gone at once', async () => {
    const h = new Harness(7);
    const [one, two] = [1, 2].map((id) => h.add(id)) as [ClusterMember, ClusterMember];
    try {
      await startAll(h, [one, two]);
      expect((await one.controlledShutdown(5000)).ok).toBe(one.isController); // no forwarding yet: only the controller itself can
      const stopping = two.stop();
      await h.advance(100);
      await stopping;
      expect(await h.store.get(one.keys.broker(2))).toBeNull();
      await until('broker 2 gone from broker 1\'s view', () => !one.view().brokers.has(2));
      expect(two.leaseValid).toBe(false);
      expect(await two.waitForRevision(two.view().revision + 1, 10)).toBe(false);
    } finally {
      await h.stopAll();
    }
  });
});
