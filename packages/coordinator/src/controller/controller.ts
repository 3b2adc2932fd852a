/**
 * The controller's driver: runs the pure `ControllerState` against any `MetadataStore`.
 * It campaigns for the controller key, feeds the store's contents (a range, then watch
 * batches in revision order) into the state machine, runs the transactions it emits and
 * feeds their outcomes back, and resolves each request's promise with its reply.
 *
 * Store failures: `unavailable` is retried (at most `unavailableRetriesMax` times,
 * `retryBackoffMs` apart on the Clock) before the txn counts as `unknown`;
 * `unknown-outcome` is settled by reading the txn's probe key back (applied iff it holds
 * the probe's value), else `unknown`. The state machine re-decides from there.
 *
 * Actions run one at a time, in the order emitted, through one bounded queue
 * (`queuedActionsMax`); requests waiting for a reply are bounded by the state machine.
 * The step methods (`campaign`, `refresh`, `applyBatch`, `tick`, requests) each return once
 * every action they caused has run, which is how the property tests drive several
 * controllers on one simulated store deterministically; `run` loops them for a broker.
 * `onImage` sees the image after every refresh and watch batch, in revision order.
 */
import type { Clock, Random } from '@samsa/runtime';
import { MetadataStoreError, type MetadataStore, type TxnResult, type WatchBatch } from '../metadata/metadata-store.ts';
import type { ClusterImage } from './cluster-image.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { campaignOutcome, campaignTxn } from './controller-election.ts';
import { encodeControllerRecord, type ControllerRecord } from './cluster-records.ts';
import { bytesEqual, ControllerState } from './controller-state.ts';
import type {
  AlterConfigsRequest,
  AlterPartitionRequest,
  ControllerAction,
  ControllerConfig,
  ControllerReply,
  CreatePartitionsRequest,
  CreateTopicRequest,
  ElectLeadersRequest,
  ListReassignmentsRequest,
  ReassignPartitionsRequest,
  TxnOutcome,
} from './controller-types.ts';

export interface ControllerOptions {
  readonly store: MetadataStore;
  readonly keys: ClusterKeys;
  readonly brokerId: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly config?: ControllerConfig;
  /** Default 5. */
  readonly unavailableRetriesMax?: number;
  /** Default 100; 0 retries at once. */
  readonly retryBackoffMs?: number;
  /** Default 100_000. */
  readonly queuedActionsMax?: number;
  /**
   * `leader.imbalance.check.interval.seconds` × 1000: a `tick` at least this long after the
   * last check runs the auto leader rebalance (ControllerState.rebalanceLeaders, a no-op
   * unless `autoLeaderRebalanceEnable`). Default 300_000.
   */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /**
   * Called with the image after every `refresh` and `applyBatch` (once the state machine has
   * taken the range or batch in, before the actions it caused run): a broker's member
   * builds its cluster view from it, so the controller's watch is the broker's only one.
   * Synchronous; a throw is caught (it cannot stop the driver) and dropped.
   */
  readonly onImage?: (image: ClusterImage) => void;
}

export class Controller {
  readonly state: ControllerState;
  readonly brokerId: number;
  private readonly store: MetadataStore;
  private readonly keys: ClusterKeys;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly retriesMax: number;
  private readonly backoffMs: number;
  private readonly queuedActionsMax: number;
  private readonly onImage: ((image: ClusterImage) => void) | undefined;
  private readonly imbalanceCheckIntervalMs: number;
  private lastImbalanceCheckMs: number;
  private readonly queue: ControllerAction[] = [];
  private readonly waiting = new Map<number, { resolve: (reply: ControllerReply) => void; reject: (error: unknown) => void }>();
  private running = false;
  private readonly idleWaiters: (() => void)[] = [];
  private nextRequestId = 1;
  /** The record of the last campaign whose txn may have landed unseen (unknown outcome). */
  private pendingCampaign: ControllerRecord | null = null;

  constructor(o: ControllerOptions) {
    this.store = o.store;
    this.keys = o.keys;
    this.brokerId = o.brokerId;
    this.clock = o.clock;
    this.random = o.random;
    this.retriesMax = o.unavailableRetriesMax ?? 5;
    this.backoffMs = o.retryBackoffMs ?? 100;
    this.queuedActionsMax = o.queuedActionsMax ?? 100_000;
    this.onImage = o.onImage;
    this.imbalanceCheckIntervalMs = o.leaderImbalanceCheckIntervalMs ?? 300_000;
    if (!(this.imbalanceCheckIntervalMs > 0)) throw new RangeError(`leaderImbalanceCheckIntervalMs must be > 0, got ${this.imbalanceCheckIntervalMs}`);
    this.lastImbalanceCheckMs = o.clock.monotonicMs();
    this.state = new ControllerState({ keys: o.keys, random: o.random, ...(o.config ? { config: o.config } : {}) });
  }

  get isController(): boolean {
    return this.state.activeSession !== null;
  }

  /** Campaigns for the controller key with this broker's lease; true when it won. */
  async campaign(leaseId: string): Promise<boolean> {
    const incarnation = hex(this.random, 8);
    const record = { brokerId: this.brokerId, incarnation };
    let result: TxnResult;
    try {
      result = await this.store.txn(campaignTxn(this.keys, record, leaseId));
    } catch (error) {
      if (!(error instanceof MetadataStoreError)) throw error;
      // unknown-outcome: the key may be ours; the next image that shows it adopts it (maybeAdoptCampaign).
      if (error.code === 'unknown-outcome') this.pendingCampaign = record;
      return false;
    }
    const outcome = campaignOutcome(record, result);
    if (!('won' in outcome)) return false;
    await this.drain(this.state.becomeController(outcome.won));
    return this.isController;
  }

  /** Stops acting as the controller (the lease is gone). */
  async resign(): Promise<void> {
    await this.drain(this.state.resign());
  }

  /** Reads the whole cluster and replaces the image; resolves the range's revision. */
  async refresh(): Promise<number> {
    const range = await this.store.range(this.keys.root);
    const actions = [...this.state.load(range.kvs, range.revision), ...this.maybeAdoptCampaign()];
    this.notifyImage();
    await this.drain(actions);
    return range.revision;
  }

  async applyBatch(batch: WatchBatch): Promise<void> {
    const actions = [...this.state.apply(batch), ...this.maybeAdoptCampaign()];
    this.notifyImage();
    await this.drain(actions);
  }

  /** Re-decides failed partition changes; every `leaderImbalanceCheckIntervalMs` also rebalances leaders. */
  async tick(): Promise<void> {
    const actions = this.state.tick();
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.lastImbalanceCheckMs >= this.imbalanceCheckIntervalMs) {
      this.lastImbalanceCheckMs = nowMs;
      actions.push(...this.state.rebalanceLeaders());
    }
    await this.drain(actions);
  }

  createTopic(req: CreateTopicRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.createTopic(id, req));
  }
  createPartitions(req: CreatePartitionsRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.createPartitions(id, req));
  }
  deleteTopic(name: string): Promise<ControllerReply> {
    return this.request((id) => this.state.deleteTopic(id, name));
  }
  alterConfigs(req: AlterConfigsRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.alterConfigs(id, req));
  }
  controlledShutdown(brokerId: number): Promise<ControllerReply> {
    return this.request((id) => this.state.controlledShutdown(id, brokerId));
  }
  alterPartition(req: AlterPartitionRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.alterPartition(id, req));
  }
  electLeaders(req: ElectLeadersRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.electLeaders(id, req));
  }
  reassignPartitions(req: ReassignPartitionsRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.reassignPartitions(id, req));
  }
  listReassignments(req: ListReassignmentsRequest): Promise<ControllerReply> {
    return this.request((id) => this.state.listReassignments(id, req));
  }

  /**
   * A broker's controller loop until `signal` aborts: watch the cluster (re-reading after
   * a failed watch), campaign with `leaseId` whenever the controller key is free, tick every
   * `tickIntervalMs`.
   */
  async run(leaseId: string, signal: AbortSignal, tickIntervalMs = 1000): Promise<void> {
    const ticker = this.clock.setInterval(() => void this.tick().catch(() => undefined), tickIntervalMs);
    try {
      while (!signal.aborted) {
        try {
          let revision = await this.refresh();
          if (!this.isController && this.state.image.controller === null) await this.campaign(leaseId);
          for await (const batch of this.store.watch(this.keys.root, revision + 1, signal)) {
            await this.applyBatch(batch);
            revision = batch.revision;
            if (!this.isController && this.state.image.controller === null) await this.campaign(leaseId);
          }
        } catch (error) {
          if (!(error instanceof Error)) throw error;
          await this.clock.sleep(this.backoffMs);
        }
      }
    } finally {
      ticker.cancel();
    }
  }

  // ---- internals --------------------------------------------------------------------

  private notifyImage(): void {
    try {
      this.onImage?.(this.state.image);
    } catch {
      // See ControllerOptions.onImage: the listener's failure is its own.
    }
  }

  /** A campaign whose answer was lost did win when the image shows the key with its record: act on it. */
  private maybeAdoptCampaign(): ControllerAction[] {
    const record = this.pendingCampaign;
    const kv = this.state.image.controller;
    if (!record || this.isController) return [];
    const value = encodeControllerRecord(record);
    if (!kv) return [];
    this.pendingCampaign = null;
    if (!bytesEqual(kv.value, value)) return [];
    return this.state.becomeController({ epoch: kv.createRevision, record, value });
  }

  private request(start: (requestId: number) => ControllerAction[]): Promise<ControllerReply> {
    const id = this.nextRequestId++;
    const reply = new Promise<ControllerReply>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    void this.drain(start(id));
    return reply;
  }

  /** Runs `actions` and everything they lead to; resolves when the queue is empty. */
  private drain(actions: ControllerAction[]): Promise<void> {
    if (this.queue.length + actions.length > this.queuedActionsMax) throw new RangeError(`more than ${this.queuedActionsMax} controller actions queued`);
    this.queue.push(...actions);
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (!this.running) void this.runQueue();
    return idle;
  }

  /**
   * The one loop that runs actions. It leaves `running` and wakes every drain() caller in
   * the same synchronous stretch in which it finds the queue empty, so an action queued
   * afterwards always starts a new loop.
   */
  private async runQueue(): Promise<void> {
    this.running = true;
    try {
      for (let action = this.queue.shift(); action; action = this.queue.shift()) {
        if (action.type === 'reply') {
          const waiter = this.waiting.get(action.requestId);
          this.waiting.delete(action.requestId);
          waiter?.resolve(action.reply);
          continue;
        }
        const outcome = await this.execute(action);
        this.queue.push(...this.state.txnCompleted(action.txnId, outcome));
      }
    } catch (error) {
      // A bug, not a store failure (those are outcomes): fail every waiting request rather than leave it hanging.
      this.queue.length = 0;
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    } finally {
      this.running = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async execute(action: Extract<ControllerAction, { type: 'txn' }>): Promise<TxnOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.store.txn(action.txn);
        return result.succeeded ? { status: 'applied' } : { status: 'failed', results: result.results };
      } catch (error) {
        if (!(error instanceof MetadataStoreError)) throw error;
        if (error.code === 'unknown-outcome') return this.readBack(action);
        if (error.code !== 'unavailable' || attempt >= this.retriesMax) return { status: 'unknown' };
        if (this.backoffMs > 0) await this.clock.sleep(this.backoffMs);
      }
    }
  }

  private async readBack(action: Extract<ControllerAction, { type: 'txn' }>): Promise<TxnOutcome> {
    const probe = action.probe;
    if (!probe) return { status: 'unknown' };
    for (let attempt = 0; attempt <= this.retriesMax; attempt++) {
      try {
        const kv = await this.store.get(probe.key);
        const applied = probe.value === null ? kv === null : kv !== null && bytesEqual(kv.value, probe.value);
        return applied ? { status: 'applied' } : { status: 'unknown' };
      } catch (error) {
        if (!(error instanceof MetadataStoreError) || error.code !== 'unavailable') return { status: 'unknown' };
        if (this.backoffMs > 0) await this.clock.sleep(this.backoffMs);
      }
    }
    return { status: 'unknown' };
  }
}

function hex(random: Random, bytes: number): string {
  const b = random.fill(new Uint8Array(bytes));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
