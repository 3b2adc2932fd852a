/**
 * Cluster: the client's view of a Kafka cluster and its connections.
 *
 * - Bootstrap: the first metadata comes from the `bootstrap` addresses, tried in order
 *   (rotating, so a dead first entry costs one failure per refresh, not every time).
 *   Afterwards any open connection answers Metadata, else a listed broker, else bootstrap.
 * - Metadata: `refreshMetadata()` asks for the topics the client has shown interest in
 *   (`topic(name)` adds one; at most `topicsMax`), single-flight: concurrent callers share
 *   one request. `topic()` refreshes when the topic is unknown, has an error, or the cache
 *   is older than `metadataMaxAgeMs`; `requestRefresh()` marks it stale so the next user
 *   refreshes (what the producer does on NOT_LEADER_OR_FOLLOWER and connection loss).
 * - Connections: at most one per broker id, opened on first use, replaced when closed.
 *   `close()` closes them all; afterwards every call rejects with KafkaStateError.
 * Time from the Clock, sockets from the Transport; nothing else from the runtime.
 */
import { ErrorCode, MetadataRequestCodec, MetadataResponseCodec, ZERO_UUID } from '@samsa/codec/wire';
import type { MetadataRequest } from '@samsa/codec/wire';
import type { Clock, Transport } from '@samsa/runtime';
import { BrokerConnection } from '../connection/broker-connection.ts';
import type { BrokerConnectionOptions } from '../connection/broker-connection.ts';
import { KafkaClientError, KafkaConnectionError, KafkaError, KafkaStateError, KafkaTimeoutError, abortErrorOf } from '../errors.ts';
import { parseBootstrap } from './bootstrap.ts';
import type { BrokerAddress } from './bootstrap.ts';
import { MetadataCache } from './metadata-cache.ts';
import { raceAbort } from '../signals/race-abort.ts';
import type { TopicInfo } from './metadata-cache.ts';
import { SILENT_OBSERVER } from '../observability/observer.ts';
import type { Observer } from '../observability/observer.ts';

export interface ClusterOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /** `host:port` entries. */
  readonly bootstrap: readonly string[];
  readonly clientId?: string;
  /** Metadata older than this is refreshed on next use. Default 300 000 (Kafka's metadata.max.age.ms). */
  readonly metadataMaxAgeMs?: number;
  /** Ask brokers to create unknown topics (if they allow it). Default true (the Java producer's default). */
  readonly allowAutoTopicCreation?: boolean;
  /** Wait between metadata attempts for a topic not ready yet. Default 100. */
  readonly retryBackoffMs?: number;
  /** Topics tracked for metadata. Default 10 000. */
  readonly topicsMax?: number;
  /** Passed to every connection. */
  readonly connection?: Partial<Pick<BrokerConnectionOptions, 'requestTimeoutMs' | 'connectTimeoutMs' | 'inFlightRequestsMax' | 'queuedRequestsMax' | 'responseFrameBytesMax' | 'clientApiVersions'>>;
  /** Logger and metrics hooks, shared by every component of the client. Default silent. */
  readonly observer?: Observer;
}

export interface TopicWaitOptions {
  readonly signal?: AbortSignal;
  /** Monotonic ms by which the topic must be known; default now + request timeout. */
  readonly deadlineMs?: number;
}

const metadataApi = { request: MetadataRequestCodec, response: MetadataResponseCodec };
export const METADATA_MAX_AGE_MS_DEFAULT = 300_000;
export const TOPICS_MAX_DEFAULT = 10_000;

export class Cluster {
  readonly metadata: MetadataCache = new MetadataCache();
  readonly observer: Observer;
  readonly #options: ClusterOptions;
  readonly #clock: Clock;
  readonly #bootstrap: BrokerAddress[];
  readonly #pool = new Map<number, Promise<BrokerConnection>>();
  readonly #topics = new Set<string>();
  #bootstrapConnection: Promise<BrokerConnection> | null = null;
  #bootstrapNext = 0;
  #refreshing: Promise<void> | null = null;
  #stale = true;
  #closed = false;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.observer = options.observer ?? SILENT_OBSERVER;
    this.#clock = options.clock;
    this.#bootstrap = parseBootstrap(options.bootstrap);
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Broker id of the leader of `topic`-`partition`, or undefined when not known. */
  leaderFor(topic: string, partition: number): number | undefined {
    return this.metadata.leaderFor(topic, partition);
  }

  /** The next `topic()` call refreshes metadata first. */
  requestRefresh(): void {
    this.#stale = true;
  }

  /** Fetches metadata for the tracked topics now (shared with concurrent callers). */
  refreshMetadata(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new KafkaStateError('the client is closed'));
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
    return raceAbort(this.#refreshing, signal);
  }

  /**
   * The topic's metadata once it has partitions with no topic error, refreshing as needed
   * and retrying retriable topic errors (an auto-created topic answers LEADER_NOT_AVAILABLE
   * first) until `deadlineMs`. A non-retriable topic error rejects at once as KafkaError.
   */
  async topic(name: string, options: TopicWaitOptions = {}): Promise<TopicInfo> {
    this.#track(name);
    const deadlineMs = options.deadlineMs ?? this.#clock.monotonicMs() + (this.#options.connection?.requestTimeoutMs ?? 30_000);
    for (;;) {
      if (options.signal?.aborted === true) throw abortErrorOf(options.signal);
      const known = this.metadata.topic(name);
      const maxAgeMs = this.#options.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS_DEFAULT;
      const usable = known !== undefined && known.errorCode === ErrorCode.NONE && known.partitions.length > 0;
      if (usable && !this.#stale && !this.metadata.isStale(this.#clock.monotonicMs(), maxAgeMs)) return known;
      let lastError: unknown;
      try {
        await this.refreshMetadata(options.signal);
      } catch (error) {
        if (!(error instanceof KafkaClientError) || !error.retriable) throw error;
        lastError = error;
      }
      const now = this.metadata.topic(name);
      if (now !== undefined && now.errorCode === ErrorCode.NONE && now.partitions.length > 0) return now;
      if (now !== undefined && now.errorCode !== ErrorCode.NONE) {
        const error = new KafkaError(now.errorCode, `topic ${name}`);
        if (!error.retriable) throw error;
        lastError = error;
      }
      const remainingMs = deadlineMs - this.#clock.monotonicMs();
      if (remainingMs <= 0) throw new KafkaTimeoutError(`topic ${name} not in the metadata in time`, { cause: lastError });
      await this.#clock.sleep(Math.min(remainingMs, this.#options.retryBackoffMs ?? 100));
      this.#stale = true;
    }
  }

  /** The connection to broker `nodeId` (opened if needed). */
  async connection(nodeId: number): Promise<BrokerConnection> {
    if (this.#closed) throw new KafkaStateError('the client is closed');
    const existing = this.#pool.get(nodeId);
    if (existing !== undefined) {
      const c = await existing.catch(() => null);
      if (c !== null && !c.isClosed) return c;
      if (this.#pool.get(nodeId) === existing) this.#pool.delete(nodeId);
    }
    const broker = this.metadata.broker(nodeId);
    if (broker === undefined) throw new KafkaConnectionError(`node ${nodeId}`, 'broker not in the metadata');
    const opening = this.#open(broker);
    this.#pool.set(nodeId, opening);
    opening.catch(() => {
      if (this.#pool.get(nodeId) === opening) this.#pool.delete(nodeId);
    });
    return opening;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#pool.values()];
    if (this.#bootstrapConnection !== null) all.push(this.#bootstrapConnection);
    this.#pool.clear();
    this.#bootstrapConnection = null;
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => {})));
  }

  #track(name: string): void {
    if (this.#topics.has(name)) return;
    const max = this.#options.topicsMax ?? TOPICS_MAX_DEFAULT;
    if (this.#topics.size >= max) throw new RangeError(`more than ${max} topics tracked`);
    this.#topics.add(name);
    this.#stale = true;
  }

  async #refresh(): Promise<void> {
    const topics = [...this.#topics];
    const body = (version: number): MetadataRequest => ({
      // v0 meant "all topics" for an empty list; from v1 null does, and [] means none.
      topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: version >= 4 ? (this.#options.allowAutoTopicCreation ?? true) : true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    let lastError: unknown;
    for (const candidate of this.#metadataCandidates()) {
      try {
        const connection = await candidate();
        const response = await connection.request(metadataApi, body);
        this.metadata.update(response, this.#clock.monotonicMs());
        this.#stale = false;
        return;
      } catch (error) {
        if (!(error instanceof KafkaClientError) || !error.retriable) throw error;
        lastError = error;
      }
    }
    throw lastError instanceof KafkaClientError ? lastError : new KafkaConnectionError('bootstrap', `no broker answered Metadata: ${String(lastError)}`, { cause: lastError });
  }

  /** Ways to reach some broker: open pooled connections, listed brokers, then bootstrap (rotating). */
  #metadataCandidates(): (() => Promise<BrokerConnection>)[] {
    const out: (() => Promise<BrokerConnection>)[] = [];
    for (const nodeId of this.#pool.keys()) out.push(() => this.connection(nodeId));
    for (const b of this.metadata.brokers()) if (!this.#pool.has(b.nodeId)) out.push(() => this.connection(b.nodeId));
    for (let i = 0; i < this.#bootstrap.length; i++) {
      const index = (this.#bootstrapNext + i) % this.#bootstrap.length;
      out.push(() => this.#bootstrapConnectionTo(index));
    }
    return out;
  }

  async #bootstrapConnectionTo(index: number): Promise<BrokerConnection> {
    const current = await this.#bootstrapConnection?.catch(() => null);
    if (current != null && !current.isClosed) return current;
    this.#bootstrapNext = (index + 1) % this.#bootstrap.length;
    this.#bootstrapConnection = this.#open(this.#bootstrap[index]!);
    return this.#bootstrapConnection;
  }

  /** Opens without the caller's signal: a pooled connection outlives the call that opened it. */
  #open(address: BrokerAddress): Promise<BrokerConnection> {
    return BrokerConnection.connect({
      ...this.#options.connection,
      transport: this.#options.transport,
      clock: this.#clock,
      host: address.host,
      port: address.port,
      observer: this.observer,
      ...(this.#options.clientId === undefined ? {} : { clientId: this.#options.clientId }),
    });
  }
}
