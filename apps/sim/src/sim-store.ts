/**
 * The simulated etcd as the processes see it. One SimulatedMetadataStore (deterministic,
 * with its own faults: refusals, unknown outcomes, early lease expiry, watch drops, slow
 * answers) serves the whole cluster; each broker process talks to it through a
 * ProcessStore:
 * - every request and every answer crosses the network to etcd: `latencyMsMax` (at least
 *   0.1 ms) each way on the SimClock, so no process talks to etcd in a tight loop of
 *   microtasks (a retry loop then spins on timers, which the simulator bounds);
 * - etcd is a node of the network's partitions: a request sent while it is unreachable fails
 *   `unavailable` after `unreachableMs` without taking effect; an answer that comes back
 *   across a partition is lost (`unknown-outcome` for a write, which did take effect;
 *   `unavailable` for a read, a lease call or a watch, which resumes from its revision);
 * - dead with its process: every later call, and every answer still on its way, never
 *   settles; its watches are aborted (a killed broker's lease lives on until its TTL, as
 *   a SIGKILLed broker's does);
 * - `close()` does not close the shared store;
 * - every transaction it sends and its result go to the `StoreObserver` (the invariant
 *   checker watches controller writes and partition records there);
 * - planted bug `elect-outside-isr` (test-only): a partition record the controller writes
 *   to elect a new leader gets, as leader, a replica that was not in the ISR before (it is
 *   written into the ISR too, so the record passes its own checks) — a controller electing
 *   outside the ISR, injected here so the controller's code stays untouched.
 */
import {
  ClusterKeys,
  MetadataStoreError,
  decodePartitionRecord,
  encodePartitionRecord,
  type KeyValue,
  type Lease,
  type MetadataStore,
  type RangeResult,
  type SimulatedMetadataStore,
  type Txn,
  type TxnOp,
  type TxnResult,
  type WatchBatch,
} from '@samsa/coordinator';
import type { Clock, Random } from '@samsa/runtime';

export const clusterId = 'samsa';
export const clusterKeys = new ClusterKeys(clusterId);

export interface StoreObserver {
  /** A transaction by process `writer` settled: its result, or null when it failed (applied or not). */
  onTxn(writer: string, txn: Txn, result: TxnResult | null): void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export interface StoreLink {
  readonly clock: Clock;
  readonly random: Random;
  /** One-way latency to etcd is 0.1..latencyMsMax ms. */
  readonly latencyMsMax: number;
  /** Whether this process reaches etcd now (false across a network partition). */
  readonly reachable: () => boolean;
}

/** A request to an unreachable etcd fails after this (the client's connect timeout). */
export const unreachableMs = 1000;
/** The node name of etcd in network partitions. */
export const etcdNode = 'etcd';

export class ProcessStore implements MetadataStore {
  readonly #store: SimulatedMetadataStore;
  readonly #writer: string;
  readonly #observer: StoreObserver;
  readonly #electOutsideIsr: boolean;
  readonly #watches = new Set<AbortController>();
  readonly #link: StoreLink;
  #dead = false;

  constructor(store: SimulatedMetadataStore, link: StoreLink, writer: string, observer: StoreObserver, electOutsideIsr: boolean) {
    this.#store = store;
    this.#link = link;
    this.#writer = writer;
    this.#observer = observer;
    this.#electOutsideIsr = electOutsideIsr;
  }

  kill(): void {
    this.#dead = true;
    for (const abort of this.#watches) abort.abort();
    this.#watches.clear();
  }

  #hop(): Promise<void> {
    const { clock, random, latencyMsMax } = this.#link;
    return new Promise((resolve) => clock.setTimeout(resolve, 0.1 + random.next() * Math.max(0, latencyMsMax - 0.1)));
  }

  /** An answer already on its way (settled or not): it travels back; a dead process never hears it, a partition loses it. */
  #answer<T>(p: Promise<T>, write = false): Promise<T> {
    const back = (settle: () => T | Promise<T>): Promise<T> =>
      this.#hop().then(() => {
        if (this.#dead) return never<T>();
        if (!this.#link.reachable()) throw new MetadataStoreError(write ? 'unknown-outcome' : 'unavailable', 'the answer from etcd was lost (network partition)');
        return settle();
      });
    return p.then(
      (value) => back(() => value),
      (error: unknown) => back(() => Promise.reject(error)),
    );
  }

  /** The request travels, takes effect, the answer travels back; a dead process never hears it. */
  #guard<T>(call: () => Promise<T>, write = false): Promise<T> {
    if (this.#dead) return never();
    if (!this.#link.reachable()) {
      return new Promise<T>((_resolve, reject) => {
        this.#link.clock.setTimeout(() => {
          if (!this.#dead) reject(new MetadataStoreError('unavailable', `etcd unreachable for ${unreachableMs} ms (network partition)`));
        }, unreachableMs);
      });
    }
    return this.#hop().then(() => (this.#dead ? never<T>() : this.#answer(call(), write)));
  }

  range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult> {
    return this.#guard(() => this.#store.range(prefix, options));
  }
  get(key: string): Promise<KeyValue | null> {
    return this.#guard(() => this.#store.get(key));
  }
  put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number> {
    return this.#guard(() => this.#store.put(key, value, options), true);
  }
  delete(key: string): Promise<number> {
    return this.#guard(() => this.#store.delete(key), true);
  }
  grantLease(ttlMs: number): Promise<Lease> {
    return this.#guard(() => this.#store.grantLease(ttlMs));
  }
  keepAlive(leaseId: string): Promise<number> {
    return this.#guard(() => this.#store.keepAlive(leaseId));
  }
  revokeLease(leaseId: string): Promise<void> {
    return this.#guard(() => this.#store.revokeLease(leaseId), true);
  }
  async close(): Promise<void> {}

  txn(txn: Txn): Promise<TxnResult> {
    const sent = this.#electOutsideIsr ? { ...txn, success: txn.success.map((op) => electOutsideIsr(op, this.#store)) } : txn;
    return this.#guard(async () => {
      // The simulated store applies a request when it is called: observe the outcome (an
      // unknown-outcome fault rejects; the observer then reads the store's state itself).
      try {
        const result = await this.#store.txn(sent);
        this.#observer.onTxn(this.#writer, sent, result);
        return result;
      } catch (error) {
        this.#observer.onTxn(this.#writer, sent, null);
        throw error;
      }
    }, true);
  }

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch> {
    if (this.#dead) return { [Symbol.asyncIterator]: () => ({ next: () => never() }) };
    const abort = new AbortController();
    this.#watches.add(abort);
    const stop = (): void => abort.abort();
    // A signal aborted before the call ends the watch at once (as the store's own watch does).
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', stop, { once: true });
    const inner = this.#store.watch(prefix, fromRevision, abort.signal);
    const guardNext = (p: Promise<IteratorResult<WatchBatch>>) => this.#answer(p);
    const watches = this.#watches;
    return {
      [Symbol.asyncIterator]() {
        const it = inner[Symbol.asyncIterator]();
        return {
          next: () => guardNext(it.next()),
          return: async () => {
            watches.delete(abort);
            signal.removeEventListener('abort', stop);
            abort.abort();
            await it.return?.();
            return { done: true as const, value: undefined };
          },
        };
      },
    };
  }
}

/**
 * The planted bug: when a write elects a new leader (its leader epoch grows over the
 * stored record's), the leader becomes a replica that was NOT in the stored ISR, when
 * there is one (and joins the ISR, so the record still passes its own checks).
 */
function electOutsideIsr(op: TxnOp, store: SimulatedMetadataStore): TxnOp {
  if (op.type !== 'put' || !op.key.startsWith(clusterKeys.partitionsPrefix)) return op;
  const stored = store.snapshot().kvs.find((kv) => kv.key === op.key);
  if (stored === undefined) return op;
  const before = decodePartitionRecord(stored.value);
  const record = decodePartitionRecord(op.value);
  if (record.topicId !== before.topicId || record.leaderEpoch <= before.leaderEpoch) return op;
  const outside = record.replicas.find((r) => !before.isr.includes(r));
  if (outside === undefined) return op;
  const isr = record.isr.includes(outside) ? record.isr : [outside, ...record.isr];
  return { ...op, value: encodePartitionRecord({ ...record, leader: outside, isr }) };
}
