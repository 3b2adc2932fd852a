/**
 * AdminRouting: where each admin request goes, and the metadata and coordinator lookups
 * behind it. Kafka's rules, as its AdminClient applies them:
 *
 * - Topic and config mutations (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 *   IncrementalAlterConfigs for topics) go to the controller the last Metadata named, or
 *   any broker when it named none (a KRaft broker forwards them); NOT_CONTROLLER refreshes
 *   the metadata and retries.
 * - Reads that any broker answers (Metadata, DescribeTopicPartitions, topic configs,
 *   DescribeCluster, FindCoordinator) go to any broker, rotating through the known ones.
 * - A broker config (DescribeConfigs/AlterConfigs of resource type BROKER) goes to that broker.
 * - Group APIs go to the group's coordinator, found with FindCoordinator and remembered
 *   until a retriable error (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 *   COORDINATOR_LOAD_IN_PROGRESS, a lost connection) makes the call forget it.
 * - Partition APIs (ListOffsets, DeleteRecords) go to each partition's leader, from a
 *   Metadata request for exactly the topics involved; NOT_LEADER_OR_FOLLOWER and friends
 *   refresh it.
 * Metadata requests never auto-create topics (Metadata v4+ with allowAutoTopicCreation false).
 * Connections are the Cluster's: one per broker id. Not for use from several event loops.
 */
import { ErrorCode, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, MetadataRequestCodec, MetadataResponseCodec, ZERO_UUID } from '@samsa/codec/wire';
import type { FindCoordinatorRequest, MetadataRequest, MetadataResponse } from '@samsa/codec/wire';
import type { Cluster } from '../cluster/cluster.ts';
import type { BrokerConnection, KafkaApi } from '../connection/broker-connection.ts';
import { KafkaConnectionError, KafkaError } from '../errors.ts';
import type { ResolvedAdminOptions } from './admin-options.ts';

/** Kafka's FindCoordinator key type for a consumer group. */
export const COORDINATOR_KEY_TYPE_GROUP = 0;
/** Extra time the client waits beyond a request's broker-side `timeoutMs`. */
const CLIENT_TIMEOUT_SLACK_MS = 5_000;

const metadataApi = { request: MetadataRequestCodec, response: MetadataResponseCodec };
const findCoordinatorApi = { request: FindCoordinatorRequestCodec, response: FindCoordinatorResponseCodec };

export interface SendOptions {
  readonly signal?: AbortSignal | undefined;
}

export class AdminRouting {
  readonly cluster: Cluster;
  readonly options: ResolvedAdminOptions;
  readonly #coordinators = new Map<string, number>();
  #stale = true;
  #nextAny = 0;

  constructor(cluster: Cluster, options: ResolvedAdminOptions) {
    this.cluster = cluster;
    this.options = options;
  }

  /** The broker-side wait put in requests that carry a `timeoutMs`. */
  get brokerTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  /** The next routing decision fetches metadata first. */
  requestRefresh(): void {
    this.#stale = true;
  }

  /** Forgets the coordinator of `groupId` (the next group call looks it up again). */
  forgetCoordinator(groupId: string): void {
    this.#coordinators.delete(groupId);
  }

  /** Sends `body` to broker `nodeId`; the client's wait is the broker-side wait plus slack. */
  async send<Req, Res>(nodeId: number, api: KafkaApi<Req, Res>, body: Req | ((version: number) => Req), options: SendOptions = {}): Promise<Res> {
    const connection = await this.cluster.connection(nodeId);
    return connection.request(api, body, { signal: options.signal, timeoutMs: this.options.requestTimeoutMs + CLIENT_TIMEOUT_SLACK_MS });
  }

  /** The connection to `nodeId`, to read its negotiated versions before building a request. */
  connection(nodeId: number): Promise<BrokerConnection> {
    return this.cluster.connection(nodeId);
  }

  /** Some broker, rotating through the known ones (metadata fetched when stale). */
  async anyBroker(signal?: AbortSignal): Promise<number> {
    await this.#maybeRefresh(signal);
    return this.#rotate();
  }

  /** The next known broker, round robin by node id. */
  #rotate(): number {
    const brokers = this.cluster.metadata.brokers().sort((a, b) => a.nodeId - b.nodeId);
    if (brokers.length === 0) throw new KafkaConnectionError('bootstrap', 'the metadata lists no brokers');
    return brokers[this.#nextAny++ % brokers.length]!.nodeId;
  }

  /** The controller the metadata names, else any broker. */
  async controller(signal?: AbortSignal): Promise<number> {
    await this.#maybeRefresh(signal);
    const id = this.cluster.metadata.controllerId;
    return id >= 0 && this.cluster.metadata.broker(id) !== undefined ? id : this.anyBroker(signal);
  }

  /** Broker `nodeId`, checked against the metadata (refreshed once when it is not listed). */
  async broker(nodeId: number, signal?: AbortSignal): Promise<number> {
    await this.#maybeRefresh(signal);
    if (this.cluster.metadata.broker(nodeId) === undefined) await this.#refresh(signal);
    if (this.cluster.metadata.broker(nodeId) === undefined) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster`);
    return nodeId;
  }

  /**
   * Metadata for `topics` (null: every topic) from any broker, folded into the cluster's
   * cache so later routing knows the leaders. Never creates a topic.
   */
  async metadata(topics: readonly string[] | null, signal?: AbortSignal): Promise<MetadataResponse> {
    // The answer refreshes the brokers too: only an empty broker list needs a refresh first.
    if (this.cluster.metadata.brokers().length === 0) await this.#refresh(signal);
    const nodeId = this.#rotate();
    const body = (): MetadataRequest => ({
      topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const response = await this.send(nodeId, metadataApi, body, { signal });
    this.cluster.metadata.update(response, this.cluster.clock.monotonicMs());
    this.#stale = false;
    return response;
  }

  /** The coordinator of `groupId`: remembered, or asked of any broker with FindCoordinator. */
  async coordinator(groupId: string, signal?: AbortSignal): Promise<number> {
    const known = this.#coordinators.get(groupId);
    if (known !== undefined) return known;
    const asked = await this.anyBroker(signal);
    const connection = await this.cluster.connection(asked);
    const version = connection.versionOf(FindCoordinatorRequestCodec.meta.apiKey) ?? 0;
    const body: FindCoordinatorRequest = version >= 4
      ? { key: '', keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [groupId] }
      : { key: groupId, keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [] };
    const response = await this.send(asked, findCoordinatorApi, body, { signal });
    const answer = version >= 4 ? response.coordinators[0] : response;
    if (answer === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${groupId}: FindCoordinator answered no coordinator`);
    if (answer.errorCode !== ErrorCode.NONE) throw new KafkaError(answer.errorCode, `group ${groupId}: ${answer.errorMessage ?? 'FindCoordinator failed'}`);
    const nodeId = await this.broker(answer.nodeId, signal);
    if (this.#coordinators.size >= this.options.coordinatorsCachedMax) this.#coordinators.clear();
    this.#coordinators.set(groupId, nodeId);
    return nodeId;
  }

  async #maybeRefresh(signal: AbortSignal | undefined): Promise<void> {
    const metadata = this.cluster.metadata;
    if (!this.#stale && metadata.brokers().length > 0 && !metadata.isStale(this.cluster.clock.monotonicMs(), this.options.metadataMaxAgeMs)) return;
    await this.#refresh(signal);
  }

  /** Brokers and controller only (no topics), through the cluster's bootstrap logic. */
  async #refresh(signal: AbortSignal | undefined): Promise<void> {
    await this.cluster.refreshMetadata(signal);
    this.#stale = false;
  }
}
