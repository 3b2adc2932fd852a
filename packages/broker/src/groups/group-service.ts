/**
 * GroupService: binds the pure GroupCoordinator (@samsa/coordinator) to the broker — the
 * `__consumer_offsets` topic, the Clock and the request handlers.
 *
 *   handler ──request(kind, input)──▶ coordinator.<kind>(requestId, input, now)
 *   actions: respond → resolves that handler's promise
 *            append  → ConsumerOffsetsAppender (coalesces the appends queued behind the one
 *                      in flight per partition into one batch) → Partition.produce on
 *                      __consumer_offsets-<p> → appendCompleted(id, code) for each, in order
 *   timer:   one Clock timeout at coordinator.nextTickAtMs(), re-armed after every call
 *
 * Startup: `start()` replays every partition of the topic (if it exists) from its log
 * start; until that finishes the coordinator answers COORDINATOR_LOAD_IN_PROGRESS. The
 * topic is created on first use (`ensureTopic`: FindCoordinator for a group, or the first
 * group request), with `offsets.topic.num.partitions` partitions; an existing topic keeps
 * its own partition count (that is what partitionFor uses).
 *
 * Time: the coordinator runs on wall-clock ms (commit timestamps are persisted).
 * Shutdown: cancels the timer and ends every waiting request with CloseConnection (a
 * JoinGroup may otherwise wait for a whole rebalance timeout).
 *
 * Limits: at most `PENDING_REQUESTS_MAX` requests wait on the coordinator at once (more
 * get COORDINATOR_NOT_AVAILABLE from the handler). Single-threaded (one event loop).
 */
import { ErrorCode } from '@samsa/codec';
import { GroupCoordinator } from '@samsa/coordinator';
import type {
  CoordinatorAction,
  CoordinatorResponse,
  DeleteGroupsInput,
  DescribeGroupsInput,
  GroupCoordinatorConfig,
  HeartbeatInput,
  JoinGroupInput,
  LeaveGroupInput,
  ListGroupsInput,
  OffsetCommitInput,
  OffsetDeleteInput,
  OffsetFetchInput,
  RawRecord,
  SyncGroupInput,
} from '@samsa/coordinator';
import type { Clock, Random, TimerHandle } from '@samsa/runtime';
import { CloseConnection } from '../handlers/close-connection.ts';
import type { Logger } from '../observability/logger.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import { ConsumerOffsetsAppender } from './consumer-offsets-appender.ts';
import type { ConsumerOffsetsAppenderStats } from './consumer-offsets-appender.ts';
import { appendConsumerOffsetsRecords, CONSUMER_OFFSETS_TOPIC, ensureConsumerOffsetsTopic, replayConsumerOffsetsPartition } from './consumer-offsets-log.ts';

export const PENDING_REQUESTS_MAX = 100_000;

/** The coordinator call for each request kind, with its input type. */
export interface GroupRequests {
  joinGroup: JoinGroupInput;
  syncGroup: SyncGroupInput;
  heartbeat: HeartbeatInput;
  leaveGroup: LeaveGroupInput;
  offsetCommit: OffsetCommitInput;
  offsetFetch: OffsetFetchInput;
  listGroups: ListGroupsInput;
  describeGroups: DescribeGroupsInput;
  deleteGroups: DeleteGroupsInput;
  offsetDelete: OffsetDeleteInput;
}
export type GroupRequestKind = keyof GroupRequests;

/** The response body type for an api name. */
export type ResponseOf<A extends CoordinatorResponse['api']> = Extract<CoordinatorResponse, { api: A }>['body'];

export interface GroupServiceOptions {
  readonly registry: TopicRegistry;
  readonly clock: Clock;
  /** Member ids come from here (the coordinator's `<clientId>-<uuid>`). */
  readonly random: Random;
  readonly logger: Logger;
  readonly config: Partial<GroupCoordinatorConfig> & { offsetsTopicNumPartitions: number };
  /** Tests: the replay waits for this promise (so COORDINATOR_LOAD_IN_PROGRESS is observable). */
  readonly loadGate?: Promise<unknown>;
}

interface Waiter {
  resolve(r: CoordinatorResponse): void;
  reject(e: unknown): void;
}

export class GroupService {
  readonly coordinator: GroupCoordinator;
  readonly #registry: TopicRegistry;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #numPartitionsWanted: number;
  readonly #waiters = new Map<number, Waiter>();
  #nextRequestId = 1;
  #timer: TimerHandle | null = null;
  #timerAtMs: number | null = null;
  #closed = false;
  #ensuring: Promise<number> | null = null;
  /** Resolves when the replay finished (or failed and was logged). */
  readonly loaded: Promise<void>;
  #loadGate: Promise<unknown>;
  readonly #appender: ConsumerOffsetsAppender;

  constructor(options: GroupServiceOptions) {
    this.#registry = options.registry;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#numPartitionsWanted = options.config.offsetsTopicNumPartitions;
    const existing = options.registry.topic(CONSUMER_OFFSETS_TOPIC);
    const numPartitions = existing ? existing.partitions.length : options.config.offsetsTopicNumPartitions;
    const registry = options.registry;
    this.coordinator = new GroupCoordinator({
      config: { ...options.config, offsetsTopicNumPartitions: numPartitions },
      random: options.random,
      partitionExists: (topic, partition) => topic !== CONSUMER_OFFSETS_TOPIC && registry.partition(topic, partition) !== undefined,
    });
    this.#loadGate = options.loadGate ?? Promise.resolve();
    this.#appender = new ConsumerOffsetsAppender({
      write: (partition, records) => this.#write(partition, records),
      complete: (completionId, code) => this.#run(() => this.coordinator.appendCompleted(completionId, code, this.#clock.wallMs())),
    });
    this.loaded = this.#load();
  }

  /** Append actions received, batches written to `__consumer_offsets`, appends refused by the queue bound. */
  get appendStats(): ConsumerOffsetsAppenderStats {
    return this.#appender.stats;
  }

  get loading(): boolean {
    return this.coordinator.loading;
  }

  /** Creates `__consumer_offsets` on first use; resolves an error code (0 = exists). */
  ensureTopic(): Promise<number> {
    if (this.#registry.topic(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve(ErrorCode.NONE);
    this.#ensuring ??= ensureConsumerOffsetsTopic(this.#registry, this.#numPartitionsWanted).then((r) => {
      this.#ensuring = null;
      if (r.errorCode !== ErrorCode.NONE) this.#logger.warn({ errorCode: r.errorCode }, 'could not create __consumer_offsets');
      return r.errorCode;
    });
    return this.#ensuring;
  }

  /**
   * Runs one request through the coordinator; resolves with its response (maybe much
   * later: a JoinGroup waits for the rebalance). Rejects with CloseConnection on shutdown.
   */
  async request<K extends GroupRequestKind>(kind: K, input: GroupRequests[K]): Promise<CoordinatorResponse> {
    if (this.#closed) throw new CloseConnection('shutdown');
    if (this.#waiters.size >= PENDING_REQUESTS_MAX) throw new CloseConnection('too-many-group-requests');
    const requestId = this.#nextRequestId++;
    const response = new Promise<CoordinatorResponse>((resolve, reject) => this.#waiters.set(requestId, { resolve, reject }));
    const call = this.coordinator[kind] as (id: number, input: GroupRequests[K], nowMs: number) => CoordinatorAction[];
    this.#run(() => call.call(this.coordinator, requestId, input, this.#clock.wallMs()));
    return response;
  }

  /** Stops the timer and ends every waiting request (their connections close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    const waiting = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const w of waiting) w.reject(new CloseConnection('shutdown'));
  }

  async #load(): Promise<void> {
    const startedMs = this.#clock.monotonicMs();
    let records = 0;
    try {
      await this.#loadGate;
      const topic = this.#registry.topic(CONSUMER_OFFSETS_TOPIC);
      for (const p of topic?.partitions ?? []) {
        let skipped = 0;
        records += await replayConsumerOffsetsPartition(p, (chunk) => {
          skipped += this.coordinator.load(chunk).skipped;
        });
        if (skipped > 0) this.#logger.warn({ partition: p.index, skipped }, 'skipped undecodable __consumer_offsets records');
      }
    } catch (e) {
      this.#logger.error({ err: e }, 'replaying __consumer_offsets failed; groups start from what was read');
    }
    if (this.#closed) return;
    this.#run(() => this.coordinator.loadCompleted(this.#clock.wallMs()));
    this.#logger.info({ records, groups: this.coordinator.describeState().length, ms: this.#clock.monotonicMs() - startedMs }, 'group coordinator loaded');
  }

  /** Calls the coordinator, carries out its actions and re-arms the tick timer. */
  #run(call: () => CoordinatorAction[]): void {
    let actions: CoordinatorAction[];
    try {
      actions = call();
    } catch (e) {
      this.#logger.error({ err: e }, 'group coordinator call failed');
      return;
    }
    for (const a of actions) {
      if (a.type === 'respond') {
        const w = this.#waiters.get(a.requestId);
        this.#waiters.delete(a.requestId);
        w?.resolve(a.response);
      } else {
        this.#appender.append(a.partition, a.completionId, a.records);
      }
    }
    this.#rearm();
  }

  /** One coalesced batch to `__consumer_offsets-<partition>`; resolves a Kafka error code. */
  async #write(partition: number, records: readonly RawRecord[]): Promise<number> {
    let code: number;
    const ensured = await this.ensureTopic();
    if (ensured !== ErrorCode.NONE) code = ensured;
    else code = await appendConsumerOffsetsRecords(this.#registry.partition(CONSUMER_OFFSETS_TOPIC, partition), records, this.#clock.wallMs());
    if (code !== ErrorCode.NONE) this.#logger.warn({ partition, errorCode: code, records: records.length }, '__consumer_offsets append failed');
    return code;
  }

  #rearm(): void {
    if (this.#closed) return;
    const at = this.coordinator.nextTickAtMs();
    if (at === this.#timerAtMs && this.#timer !== null) return;
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAtMs = at;
    if (at === null) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAtMs = null;
      this.#run(() => this.coordinator.tick(this.#clock.wallMs()));
    }, Math.max(0, at - this.#clock.wallMs()));
  }
}
