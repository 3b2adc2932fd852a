/**
 * ClusterMember: this broker's membership of a cluster whose metadata lives in a
 * `MetadataStore` (etcd in production, the simulated store in tests). It implements
 * `ClusterLink` (cluster-link.ts) for the broker and its handlers.
 *
 * What it does:
 * - `start()`: grants a lease (TTL = `sessionTimeoutMs`, whole seconds rounded up by the
 *   store) and puts `brokers/<id>` (BrokerRegistration with a fresh random incarnation)
 *   attached to it, by compare-and-set on the key's createRevision = 0, so a node id held
 *   by another lease is never overwritten. A holder that stays for twice `sessionTimeoutMs`
 *   is another live broker: the start fails naming it. Not once: a crashed broker's lease
 *   outlives its TTL by etcd's election timeout each time etcd elects a leader (a new raft
 *   leader extends every lease, seen after a whole-cluster restart), while a live holder
 *   renews forever. Then it reads the cluster, publishes the first view and runs the
 *   @samsa/coordinator `Controller` driver in the background; the driver's watch is the
 *   broker's only one: its `onImage` publishes every view (`viewFromImage`).
 *   An unreachable store is retried with capped, jittered exponential backoff; after
 *   `startTimeoutMs` the start rejects (`ClusterMemberStartError`) naming the store.
 * - keepalive every `heartbeatIntervalMs` (at most `KEEPALIVES_IN_FLIGHT_MAX` unanswered),
 *   each attempt bounded by `heartbeatIntervalMs` too (a hung one moves to the next member).
 * - lease-loss fencing: `leaseValid` holds while the clock is before
 *   `sentAt + TTL − leaseSafetyMarginMs`, where `sentAt` is when the newest ANSWERED keepalive
 *   (or the grant) was SENT: the store renewed it no earlier than that, so no other broker
 *   can have been elected in this one's place before `sentAt + TTL`. (The answer time would
 *   be too late a base: a slow answer would stretch the window past the real expiry.)
 *   Once it lapses, or a keepalive finds the lease gone, the member logs it at error level,
 *   resigns the local controller and stops the driver; it then revokes the old lease, grants
 *   a new one and re-registers (new incarnation, new broker epoch), logging that loudly too,
 *   reads the cluster so its view holds that registration (the view it had when the lease
 *   lapsed would still show it leading in old epochs), and only then is `leaseValid` true
 *   again. A keepalive answered after the window lapsed
 *   does not revive the old lease.
 * - `controlledShutdown()` asks the controller (through `controller`) to move this broker's
 *   leaderships away, bounded by a timeout; `stop()` then stops the driver and revokes the
 *   lease, which deletes the registration at once (the cluster sees the broker leave
 *   without waiting for the TTL). The store itself is the caller's to close.
 *
 * Invariants (cluster-link.ts): the view's revision only grows; listeners see every view
 * once, in order, synchronously after it is published; `onLeaseChange` listeners hear
 * false when the lease is lost (or the member stops) and true after re-registering, each
 * change once. Bounds: `VIEW_LISTENERS_MAX` view listeners and as many lease listeners,
 * `REVISION_WAITERS_MAX` pending `waitForRevision` calls. Time only from the Clock,
 * randomness (incarnations, jitter) only from the Random.
 */
import type { Clock, Random, TimerHandle } from '@samsa/runtime';
import {
  ClusterKeys,
  Controller,
  decodeBrokerRegistration,
  encodeBrokerRegistration,
  MetadataStoreError,
  type ClusterImage,
  type ControllerConfig,
  type ControllerReply,
  type KeyValue,
  type Lease,
  type MetadataStore,
} from '@samsa/coordinator';
import { silentLogger, type Logger } from '../observability/logger.ts';
import type { ClusterLink, ControllerClient } from './cluster-link.ts';
import { emptyClusterView, viewFromImage, type ClusterView } from './cluster-view.ts';
import { allocateProducerIdBlock } from './producer-id-blocks.ts';

/** Producer ids reserved per compare-and-set on the cluster's `producer-ids` key. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export const VIEW_LISTENERS_MAX = 64;
export const REVISION_WAITERS_MAX = 10_000;
export const KEEPALIVES_IN_FLIGHT_MAX = 2;
/** A node id held this many session timeouts into start() is another live broker's (see the file comment). */
export const TAKEN_AFTER_SESSIONS = 2;
/** First retry delay of the store calls of start and re-registration; doubles up to `retryBackoffMaxMs`. */
export const RETRY_BACKOFF_BASE_MS = 100;

export interface ClusterMemberOptions {
  readonly store: MetadataStore;
  /** The cluster's keys live under `/samsa/<clusterId>/`. */
  readonly clusterId: string;
  readonly nodeId: number;
  /** The advertised Kafka endpoint, written into the registration. */
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly rack: string | null;
  /** The port of this broker's replica-fetch listener (same host as `endpoint`), written into its registration; absent: none. */
  readonly replicationPort?: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger?: Logger;
  /** `broker.session.timeout.ms`: the lease TTL. Default 9000. */
  readonly sessionTimeoutMs?: number;
  /** `broker.heartbeat.interval.ms`: keepalive period. Default 2000. */
  readonly heartbeatIntervalMs?: number;
  /** Subtracted from the lease window (clock drift, etcd's own timing). Default min(1000, TTL/10). */
  readonly leaseSafetyMarginMs?: number;
  /** num.partitions and default.replication.factor for the controller. */
  readonly controller?: ControllerConfig;
  /** How often the controller checks leader imbalance (`leader.imbalance.check.interval.seconds`); the driver's default when absent. */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /** The admin requests' route; default: this broker's own controller, NOT_CONTROLLER otherwise. */
  readonly makeControllerClient?: (member: ClusterMember) => ControllerClient;
  /** `start()` rejects when it has not registered within this. Default 60_000. */
  readonly startTimeoutMs?: number;
  /** Names the store in errors and logs, e.g. `etcd http://127.0.0.1:2379`. */
  readonly storeDescription?: string;
  /** Default bound of `controlledShutdown()`. Default 30_000. */
  readonly controlledShutdownTimeoutMs?: number;
  /** Bound of each step of `stop()` (driver end, lease revoke). Default 5000. */
  readonly stopTimeoutMs?: number;
  /** Largest retry delay of start and re-registration. Default 5000. */
  readonly retryBackoffMaxMs?: number;
  /** The controller driver's tick. Default 1000. */
  readonly controllerTickIntervalMs?: number;
  /**
   * TEST ONLY — a planted bug for the whole-cluster simulator (apps/sim `--plant
   * ignore-lease-loss`): the member never acts on a lost lease; it keeps `leaseValid` and
   * its leaderships. Never set it elsewhere.
   */
  readonly ignoreLeaseLossForTesting?: boolean;
}

/** Why `start()` failed: the store never answered in time, the node id is taken, or `stop()` came first. */
export class ClusterMemberStartError extends Error {
  override readonly name = 'ClusterMemberStartError';
  readonly code: 'store-unreachable' | 'node-id-taken' | 'stopped';
  constructor(code: 'store-unreachable' | 'node-id-taken' | 'stopped', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

type MemberState = 'new' | 'starting' | 'registered' | 'recovering' | 'stopped';

interface RevisionWaiter {
  readonly revision: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: TimerHandle;
}

export class ClusterMember implements ClusterLink {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly keys: ClusterKeys;
  /** This broker's controller driver (the admin engineer's forwarding client uses it when it is the active one). */
  readonly localController: Controller;
  readonly controller: ControllerClient;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly leaseSafetyMarginMs: number;
  readonly startTimeoutMs: number;
  readonly storeDescription: string;
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #endpoint: { readonly host: string; readonly port: number };
  readonly #rack: string | null;
  readonly #replicationPort: number | undefined;
  readonly #controlledShutdownTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #retryBackoffMaxMs: number;
  readonly #tickIntervalMs: number;
  readonly #ignoreLeaseLoss: boolean;
  #state: MemberState = 'new';
  #lease: Lease | null = null;
  #incarnation = '';
  /** leaseValid holds while monotonicMs() < this (and the member is registered). */
  #validUntilMs = -Infinity;
  #keepalivesInFlight = 0;
  #keepaliveFailures = 0;
  #heartbeat: TimerHandle | null = null;
  #expiry: TimerHandle | null = null;
  #loop: { readonly abort: AbortController; readonly done: Promise<void> } | null = null;
  #recovery: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;
  #view: ClusterView;
  readonly #listeners = new Set<(view: ClusterView) => void>();
  readonly #leaseListeners = new Set<(leaseValid: boolean) => void>();
  readonly #waiters = new Set<RevisionWaiter>();
  readonly #sleepers = new Set<() => void>();
  /** This broker's current producer id block [next, end); reservations run one at a time. */
  #producerIds = { next: 0, end: 0 };
  #producerIdChain: Promise<unknown> = Promise.resolve();

  constructor(o: ClusterMemberOptions) {
    this.nodeId = o.nodeId;
    this.clusterId = o.clusterId;
    this.keys = new ClusterKeys(o.clusterId);
    this.#store = o.store;
    this.#clock = o.clock;
    this.#random = o.random;
    this.#logger = (o.logger ?? silentLogger).child({ component: 'cluster-member', nodeId: o.nodeId });
    this.#endpoint = o.endpoint;
    this.#rack = o.rack;
    this.#replicationPort = o.replicationPort;
    this.sessionTimeoutMs = positive('sessionTimeoutMs', o.sessionTimeoutMs ?? 9000);
    this.heartbeatIntervalMs = positive('heartbeatIntervalMs', o.heartbeatIntervalMs ?? 2000);
    if (this.heartbeatIntervalMs >= this.sessionTimeoutMs) throw new RangeError(`heartbeatIntervalMs (${this.heartbeatIntervalMs}) must be below sessionTimeoutMs (${this.sessionTimeoutMs})`);
    this.leaseSafetyMarginMs = o.leaseSafetyMarginMs ?? Math.min(1000, Math.floor(this.sessionTimeoutMs / 10));
    if (!(this.leaseSafetyMarginMs >= 0 && this.leaseSafetyMarginMs < this.sessionTimeoutMs)) throw new RangeError(`leaseSafetyMarginMs must be in [0, sessionTimeoutMs), got ${this.leaseSafetyMarginMs}`);
    this.startTimeoutMs = positive('startTimeoutMs', o.startTimeoutMs ?? 60_000);
    this.storeDescription = o.storeDescription ?? 'the metadata store';
    this.#controlledShutdownTimeoutMs = positive('controlledShutdownTimeoutMs', o.controlledShutdownTimeoutMs ?? 30_000);
    this.#stopTimeoutMs = positive('stopTimeoutMs', o.stopTimeoutMs ?? 5000);
    this.#retryBackoffMaxMs = positive('retryBackoffMaxMs', o.retryBackoffMaxMs ?? 5000);
    this.#tickIntervalMs = positive('controllerTickIntervalMs', o.controllerTickIntervalMs ?? 1000);
    this.#ignoreLeaseLoss = o.ignoreLeaseLossForTesting === true;
    this.#view = emptyClusterView(o.clusterId);
    this.localController = new Controller({
      store: o.store,
      keys: this.keys,
      brokerId: o.nodeId,
      clock: o.clock,
      random: o.random,
      ...(o.controller ? { config: o.controller } : {}),
      ...(o.leaderImbalanceCheckIntervalMs !== undefined ? { leaderImbalanceCheckIntervalMs: o.leaderImbalanceCheckIntervalMs } : {}),
      onImage: (image) => this.#publish(image),
    });
    this.controller = (o.makeControllerClient ?? localOnlyControllerClient)(this);
  }

  // ---- ClusterLink ------------------------------------------------------------------

  view(): ClusterView {
    return this.#view;
  }

  onView(listener: (view: ClusterView) => void): () => void {
    if (this.#listeners.size >= VIEW_LISTENERS_MAX) throw new RangeError(`more than ${VIEW_LISTENERS_MAX} cluster view listeners`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onLeaseChange(listener: (leaseValid: boolean) => void): () => void {
    if (this.#leaseListeners.size >= VIEW_LISTENERS_MAX) throw new RangeError(`more than ${VIEW_LISTENERS_MAX} lease listeners`);
    this.#leaseListeners.add(listener);
    return () => this.#leaseListeners.delete(listener);
  }

  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.#view.revision >= revision) return Promise.resolve(true);
    if (this.#state === 'stopped') return Promise.resolve(false);
    if (this.#waiters.size >= REVISION_WAITERS_MAX) return Promise.reject(new RangeError(`more than ${REVISION_WAITERS_MAX} waiters for a cluster revision`));
    return new Promise((resolve) => {
      const waiter: RevisionWaiter = {
        revision,
        resolve,
        timer: this.#clock.setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  get leaseValid(): boolean {
    return this.#state === 'registered' && (this.#ignoreLeaseLoss || this.#clock.monotonicMs() < this.#validUntilMs);
  }

  get isController(): boolean {
    return this.leaseValid && this.localController.isController;
  }

  /** See ClusterLink.nextProducerId: from this broker's block, reserving a new one when it is used up. */
  nextProducerId(): Promise<number> {
    const next = this.#producerIdChain.then(async () => {
      if (this.#producerIds.next >= this.#producerIds.end) {
        const start = await allocateProducerIdBlock(this.#store, this.keys, PRODUCER_ID_BLOCK_SIZE);
        this.#producerIds = { next: start, end: start + PRODUCER_ID_BLOCK_SIZE };
      }
      return this.#producerIds.next++;
    });
    this.#producerIdChain = next.catch(() => undefined);
    return next;
  }

  /** The current registration's incarnation ('' before the first). */
  get incarnation(): string {
    return this.#incarnation;
  }

  /** The current lease id, or null (not registered yet, or stopped). */
  get leaseId(): string | null {
    return this.#lease?.id ?? null;
  }

  // ---- lifecycle --------------------------------------------------------------------

  /** Registers, publishes the first view and starts the controller driver; see the file comment. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`ClusterMember.start: already ${this.#state}`);
    this.#state = 'starting';
    const deadlineMs = this.#clock.monotonicMs() + this.startTimeoutMs;
    this.#heartbeat = this.#clock.setInterval(() => this.#beat(), this.heartbeatIntervalMs);
    try {
      await this.#establish(deadlineMs);
      await this.#retrying('reading the cluster', deadlineMs, () => this.localController.refresh());
    } catch (error) {
      await this.stop();
      throw error;
    }
    if (this.#state !== 'starting') throw new ClusterMemberStartError('stopped', `broker ${this.nodeId} was stopped while it was starting`);
    this.#becomeRegistered();
    this.#logger.info({ lease: this.#lease?.id, incarnation: this.#incarnation, revision: this.#view.revision, controllerId: this.#view.controllerId, brokers: [...this.#view.brokers.keys()] }, 'registered in the cluster');
  }

  /**
   * Asks the controller to move this broker's leaderships away; resolves with its reply,
   * or REQUEST_TIMED_OUT after `timeoutMs`. Never rejects.
   */
  async controlledShutdown(timeoutMs = this.#controlledShutdownTimeoutMs): Promise<ControllerReply> {
    if (this.#state !== 'registered') return { ok: false, code: 'BROKER_NOT_AVAILABLE', message: `broker ${this.nodeId} is not registered (${this.#state})` };
    let timer: TimerHandle | undefined;
    const timeout = new Promise<ControllerReply>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve({ ok: false, code: 'REQUEST_TIMED_OUT', message: `controlled shutdown of broker ${this.nodeId} did not finish within ${timeoutMs} ms` }), timeoutMs);
    });
    const asked = this.controller.controlledShutdown(this.nodeId).catch((error: unknown): ControllerReply => ({ ok: false, code: 'REQUEST_TIMED_OUT', message: `controlled shutdown failed: ${errorText(error)}` }));
    const reply = await Promise.race([asked, timeout]);
    timer?.cancel();
    if (reply.ok) this.#logger.info({}, 'controlled shutdown: this broker leads nothing now');
    else this.#logger.warn({ code: reply.code, reason: reply.message }, 'controlled shutdown did not complete; stopping anyway (the controller moves the leaderships once the lease is gone)');
    return reply;
  }

  /** Stops the driver and the keepalives and revokes the lease (its registration goes at once). Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const wasValid = this.leaseValid;
    this.#state = 'stopped';
    if (wasValid) this.#notifyLease(false);
    this.#heartbeat?.cancel();
    this.#expiry?.cancel();
    for (const wake of [...this.#sleepers]) wake();
    for (const w of this.#waiters) {
      w.timer.cancel();
      w.resolve(false);
    }
    this.#waiters.clear();
    const loop = this.#loop;
    this.#loop = null;
    loop?.abort.abort();
    if (loop) await this.#within(loop.done, 'stopping the controller driver');
    if (this.#recovery) await this.#within(this.#recovery, 'stopping the re-registration');
    await this.#within(this.localController.resign(), 'resigning the controller');
    const lease = this.#lease;
    this.#lease = null;
    if (lease) {
      await this.#within(
        this.#store.revokeLease(lease.id).catch((error: unknown) => {
          this.#logger.warn({ err: error, lease: lease.id }, `could not revoke the lease: the registration goes when it expires (${this.sessionTimeoutMs} ms)`);
        }),
        'revoking the lease',
      );
    }
    this.#listeners.clear();
    this.#leaseListeners.clear();
    this.#logger.info({}, 'left the cluster');
  }

  // ---- registration -----------------------------------------------------------------

  /** Grants a lease (unless one is held) and registers with it; retried until `deadlineMs` (null: until stopped). */
  async #establish(deadlineMs: number | null): Promise<void> {
    let heldSinceMs: number | null = null;
    for (let attempt = 1; ; attempt++) {
      this.#checkRunning();
      let holder: KeyValue | null;
      try {
        if (this.#lease === null) await this.#grant();
        holder = await this.#register(this.#lease!);
        if (holder === null) return;
      } catch (error) {
        if (!(error instanceof MetadataStoreError)) throw error;
        if (error.code === 'lease-not-found') this.#lease = null;
        await this.#backoff(attempt, deadlineMs, error, 'registering');
        continue;
      }
      const now = this.#clock.monotonicMs();
      heldSinceMs ??= now;
      const who = describeHolder(holder);
      if (deadlineMs !== null && now - heldSinceMs >= TAKEN_AFTER_SESSIONS * this.sessionTimeoutMs) {
        throw new ClusterMemberStartError(
          'node-id-taken',
          `node.id ${this.nodeId} is taken in cluster '${this.clusterId}': ${holder.key} is held by another live broker (${who}) whose lease was still renewed after ${TAKEN_AFTER_SESSIONS * this.sessionTimeoutMs} ms. Give each broker its own node.id (--node-id).`,
        );
      }
      this.#logger.warn({ key: holder.key, holder: who }, `node.id ${this.nodeId} is registered by another lease; waiting for it to expire (a crashed broker's does within ${this.sessionTimeoutMs} ms, plus etcd's election timeout per leader change)`);
      await this.#sleep(deadlineMs === null ? this.heartbeatIntervalMs : Math.min(this.heartbeatIntervalMs, Math.max(0, deadlineMs - now)));
      if (deadlineMs !== null && this.#clock.monotonicMs() >= deadlineMs) {
        throw new ClusterMemberStartError('node-id-taken', `node.id ${this.nodeId} is taken in cluster '${this.clusterId}': ${holder.key} is held by another broker (${who}) for the whole start timeout (${this.startTimeoutMs} ms)`);
      }
    }
  }

  async #grant(): Promise<void> {
    const sentAtMs = this.#clock.monotonicMs();
    const lease = await this.#store.grantLease(this.sessionTimeoutMs);
    this.#checkRunning();
    this.#lease = lease;
    this.#validUntilMs = sentAtMs + lease.ttlMs - this.leaseSafetyMarginMs;
    this.#keepaliveFailures = 0;
  }

  /** Puts the registration unless another lease holds the key: null when registered, else the holder. */
  async #register(lease: Lease): Promise<KeyValue | null> {
    const key = this.keys.broker(this.nodeId);
    const incarnation = hex(this.#random, 8);
    const value = encodeBrokerRegistration({ brokerId: this.nodeId, host: this.#endpoint.host, port: this.#endpoint.port, rack: this.#rack, incarnation, ...(this.#replicationPort === undefined ? {} : { replicationPort: this.#replicationPort }) });
    const result = await this.#store.txn({
      compare: [{ key, target: 'createRevision', op: 'equal', value: 0 }],
      success: [{ type: 'put', key, value, lease: lease.id }],
      failure: [{ type: 'get', key }],
    });
    this.#checkRunning();
    if (result.succeeded) {
      this.#incarnation = incarnation;
      return null;
    }
    const found = result.results[0];
    const kv = found && found.type !== 'put' && found.type !== 'delete' ? (found.kvs[0] ?? null) : null;
    if (kv === null) throw new MetadataStoreError('unavailable', `${key} vanished between the compare and the read; trying again`);
    if (kv.lease === lease.id) {
      // An earlier attempt whose answer was lost did land: it is ours.
      this.#incarnation = incarnationOf(kv) ?? incarnation;
      return null;
    }
    return kv;
  }

  #becomeRegistered(): void {
    this.#state = 'registered';
    this.#armExpiry();
    const lease = this.#lease!;
    const abort = new AbortController();
    const done = this.localController.run(lease.id, abort.signal, this.#tickIntervalMs).catch((error: unknown) => {
      this.#logger.error({ err: error }, 'the controller driver stopped on an unexpected error');
    });
    this.#loop = { abort, done };
  }

  // ---- keepalive and lease loss -----------------------------------------------------

  #beat(): void {
    const lease = this.#lease;
    if (lease === null || this.#state === 'stopped' || this.#keepalivesInFlight >= KEEPALIVES_IN_FLIGHT_MAX) return;
    const sentAtMs = this.#clock.monotonicMs();
    this.#keepalivesInFlight++;
    // Each attempt waits at most one heartbeat interval: a member that forwards the
    // keepalive to a raft leader cut off from it would otherwise hold it (and with
    // KEEPALIVES_IN_FLIGHT_MAX, every later one) past the lease window while the rest of
    // the etcd cluster has already elected a new leader that would answer.
    this.#store.keepAlive(lease.id, { timeoutMs: this.heartbeatIntervalMs }).then(
      (ttlLeftMs) => {
        this.#keepalivesInFlight--;
        if (this.#lease !== lease) return;
        if (!(ttlLeftMs > 0)) this.#leaseGone(lease, 'the store says the lease has no time left');
        else this.#renewed(sentAtMs + Math.min(ttlLeftMs, lease.ttlMs) - this.leaseSafetyMarginMs);
      },
      (error: unknown) => {
        this.#keepalivesInFlight--;
        if (this.#lease !== lease) return;
        if (error instanceof MetadataStoreError && error.code === 'lease-not-found') {
          this.#leaseGone(lease, 'the lease expired in the store');
          return;
        }
        this.#keepaliveFailures++;
        if (this.#keepaliveFailures === 1 || this.#keepaliveFailures % 10 === 0) {
          this.#logger.warn({ err: error, failures: this.#keepaliveFailures, validForMs: Math.max(0, this.#validUntilMs - this.#clock.monotonicMs()) }, `lease keepalive failed (${this.storeDescription})`);
        }
      },
    );
  }

  #renewed(untilMs: number): void {
    if (this.#state === 'registered' && this.#clock.monotonicMs() >= this.#validUntilMs) {
      // Too late: the window lapsed before this answer came, someone else may lead now.
      this.#lose('no keepalive was answered within the lease window');
      return;
    }
    if (this.#keepaliveFailures > 0) this.#logger.info({ failures: this.#keepaliveFailures }, 'lease keepalive answered again');
    this.#keepaliveFailures = 0;
    if (untilMs <= this.#validUntilMs) return;
    this.#validUntilMs = untilMs;
    if (this.#state === 'registered') this.#armExpiry();
  }

  #leaseGone(lease: Lease, reason: string): void {
    if (this.#state === 'registered') this.#lose(reason);
    else if (this.#lease === lease && this.#state === 'starting') this.#lease = null; // start's loop grants another
  }

  #armExpiry(): void {
    this.#expiry?.cancel();
    this.#expiry = this.#clock.setTimeout(() => {
      this.#expiry = null;
      if (this.#state !== 'registered') return;
      if (this.#clock.monotonicMs() >= this.#validUntilMs) this.#lose(`no keepalive sent in the last ${this.#lease?.ttlMs ?? this.sessionTimeoutMs} ms (minus a ${this.leaseSafetyMarginMs} ms margin) was answered`);
      else this.#armExpiry();
    }, Math.max(0, this.#validUntilMs - this.#clock.monotonicMs()));
  }

  /** The lease may be gone: act as nothing, then re-register in the background. */
  #lose(reason: string): void {
    if (this.#state !== 'registered' || this.#ignoreLeaseLoss) return;
    this.#state = 'recovering';
    this.#validUntilMs = -Infinity;
    this.#expiry?.cancel();
    this.#expiry = null;
    this.#logger.error(
      { lease: this.#lease?.id, reason, store: this.storeDescription },
      `LEASE LOST by broker ${this.nodeId}: another broker may have been elected in its place, so it now leads nothing and is no controller; re-registering`,
    );
    const loop = this.#loop;
    this.#loop = null;
    loop?.abort.abort();
    void this.localController.resign();
    this.#notifyLease(false);
    this.#recovery = this.#recover(loop?.done ?? Promise.resolve())
      .catch((error: unknown) => {
        // Only stop() ends the recovery early (its sleeps throw once stopped); anything else is a bug.
        if (this.#state !== 'stopped') this.#logger.error({ err: error }, 're-registration stopped on an unexpected error');
      })
      .finally(() => {
        this.#recovery = null;
      });
  }

  async #recover(loopDone: Promise<void>): Promise<void> {
    await loopDone;
    await this.localController.resign(); // a campaign of the old loop's last moments
    for (let attempt = 1; this.#state === 'recovering'; attempt++) {
      try {
        const old = this.#lease;
        if (old !== null) {
          await this.#store.revokeLease(old.id); // its registration (and controller key) go now, not at expiry
          this.#lease = null;
        }
        await this.#establish(null);
      } catch (error) {
        if (this.#state !== 'recovering') return;
        if (!(error instanceof MetadataStoreError)) {
          this.#logger.error({ err: error }, 're-registration failed unexpectedly; trying again');
        }
        await this.#backoff(attempt, null, error, 're-registering');
        continue;
      }
      if (this.#state !== 'recovering') return;
      // The view must hold the new registration before the lease counts: the one this
      // broker had when it lost the lease (a paused or cut-off broker wakes with it) shows
      // its old registration still leading partitions the controller has since moved, and
      // leadsInThisIncarnation would let it lead them again as a zombie.
      if (!(await this.#catchUpView())) return;
      this.#becomeRegistered();
      this.#notifyLease(true);
      this.#logger.error({ lease: this.#lease?.id, incarnation: this.#incarnation }, `LEASE RENEWED: broker ${this.nodeId} re-registered with a new lease and catches up from the store`);
      return;
    }
  }

  // ---- views ------------------------------------------------------------------------

  /** Reads the cluster (retrying while recovering) so the view is at least as new as this broker's registration; false once stopped. */
  async #catchUpView(): Promise<boolean> {
    for (let attempt = 1; this.#state === 'recovering'; attempt++) {
      try {
        await this.localController.refresh();
        return this.#state === 'recovering';
      } catch (error) {
        if (this.#state !== 'recovering') return false;
        if (!(error instanceof MetadataStoreError)) this.#logger.error({ err: error }, 'reading the cluster after re-registering failed unexpectedly; trying again');
        await this.#backoff(attempt, null, error, 'reading the cluster after re-registering');
      }
    }
    return false;
  }

  #publish(image: ClusterImage): void {
    if (this.#state === 'stopped' || image.revision <= this.#view.revision) return;
    const view = viewFromImage(image, this.clusterId);
    this.#view = view;
    for (const listener of this.#listeners) {
      try {
        listener(view);
      } catch (error) {
        this.#logger.warn({ err: error }, 'a cluster view listener threw');
      }
    }
    for (const w of this.#waiters) {
      if (view.revision < w.revision) continue;
      w.timer.cancel();
      this.#waiters.delete(w);
      w.resolve(true);
    }
  }

  #notifyLease(leaseValid: boolean): void {
    for (const listener of this.#leaseListeners) {
      try {
        listener(leaseValid);
      } catch (error) {
        this.#logger.warn({ err: error }, 'a lease listener threw');
      }
    }
  }

  // ---- retries and time -------------------------------------------------------------

  async #retrying<T>(what: string, deadlineMs: number, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.#checkRunning();
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof MetadataStoreError)) throw error;
        await this.#backoff(attempt, deadlineMs, error, what);
      }
    }
  }

  /** Logs the failure and sleeps before the next attempt; past `deadlineMs` throws the start error instead. */
  async #backoff(attempt: number, deadlineMs: number | null, error: unknown, what: string): Promise<void> {
    this.#checkRunning();
    const now = this.#clock.monotonicMs();
    if (deadlineMs !== null && now >= deadlineMs) {
      throw new ClusterMemberStartError(
        'store-unreachable',
        `broker ${this.nodeId} could not register in ${this.storeDescription} within ${this.startTimeoutMs} ms (${attempt} attempts; last error: ${errorText(error)}). Check that etcd is running and reachable there.`,
        { cause: error },
      );
    }
    const delayMs = Math.min(this.#retryBackoffMaxMs, RETRY_BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 20)) * (0.5 + 0.5 * this.#random.next());
    const sleepMs = deadlineMs === null ? delayMs : Math.min(delayMs, deadlineMs - now);
    this.#logger.warn({ err: error, attempt, retryInMs: Math.round(sleepMs) }, `${what}: ${this.storeDescription} failed; retrying`);
    await this.#sleep(sleepMs);
    this.#checkRunning();
  }

  /** A clock sleep that `stop()` cuts short. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        timer.cancel();
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = this.#clock.setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  /** Waits for `promise`, at most `stopTimeoutMs` (then logs and goes on). */
  async #within(promise: Promise<unknown>, what: string): Promise<void> {
    let timer: TimerHandle | undefined;
    const late = new Promise<'late'>((resolve) => (timer = this.#clock.setTimeout(() => resolve('late'), this.#stopTimeoutMs)));
    const outcome = await Promise.race([promise.then(() => 'done' as const, () => 'done' as const), late]);
    timer?.cancel();
    if (outcome === 'late') this.#logger.warn({}, `${what} took longer than ${this.#stopTimeoutMs} ms; going on`);
  }

  #checkRunning(): void {
    if (this.#state === 'stopped') throw new ClusterMemberStartError('stopped', `broker ${this.nodeId}'s cluster membership was stopped`);
  }
}

/** The default ControllerClient: this broker's own controller when it is the active one. */
export function localOnlyControllerClient(member: ClusterMember): ControllerClient {
  const ask = (call: (c: Controller) => Promise<ControllerReply>): Promise<ControllerReply> => {
    if (member.isController) return call(member.localController);
    const controllerId = member.view().controllerId;
    return Promise.resolve({ ok: false, code: 'NOT_CONTROLLER', message: `broker ${member.nodeId} is not the controller (the controller is ${controllerId === -1 ? 'not elected yet' : `broker ${controllerId}`})` });
  };
  return {
    createTopic: (req) => ask((c) => c.createTopic(req)),
    createPartitions: (req) => ask((c) => c.createPartitions(req)),
    deleteTopic: (name) => ask((c) => c.deleteTopic(name)),
    alterConfigs: (req) => ask((c) => c.alterConfigs(req)),
    controlledShutdown: (brokerId) => ask((c) => c.controlledShutdown(brokerId)),
    alterPartition: (req) => ask((c) => c.alterPartition(req)),
    electLeaders: (req) => ask((c) => c.electLeaders(req)),
    reassignPartitions: (req) => ask((c) => c.reassignPartitions(req)),
    listReassignments: (req) => ask((c) => c.listReassignments(req)),
  };
}

function describeHolder(kv: KeyValue): string {
  try {
    const r = decodeBrokerRegistration(kv.value);
    return `${r.host}:${r.port}, lease ${kv.lease ?? 'none'}`;
  } catch {
    return `lease ${kv.lease ?? 'none'}`;
  }
}

function incarnationOf(kv: KeyValue): string | null {
  try {
    return decodeBrokerRegistration(kv.value).incarnation;
  } catch {
    return null;
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hex(random: Random, bytes: number): string {
  return [...random.fill(new Uint8Array(bytes))].map((x) => x.toString(16).padStart(2, '0')).join('');
}
