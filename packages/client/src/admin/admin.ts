/**
 * Admin: the public admin client — topics, configs, groups and their offsets, the
 * cluster, records. Each method is one Kafka operation (or a short, documented sequence
 * of them), routed as routing.ts says, retried on retriable errors as retry.ts says,
 * cancellable with an AbortSignal, and typed in and out. Errors are the client's classes:
 * KafkaError (with Kafka's code and retriable flag) for a broker's answer, KafkaTimeoutError,
 * KafkaConnectionError, KafkaAbortError, UnsupportedVersionError, KafkaStateError after close().
 *
 * No state beyond the Cluster's connections and metadata and a coordinator cache; one
 * Admin may serve any number of concurrent calls on one event loop.
 */
import type { Cluster } from '../cluster/cluster.ts';
import { clusterFromOptions } from '../cluster/client-options.ts';
import { ADMIN_API_VERSIONS } from './admin-api-versions.ts';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { resolveAdminOptions } from './admin-options.ts';
import type { AdminOptions, ResolvedAdminOptions } from './admin-options.ts';
import { Retrier } from './retry.ts';
import { AdminRouting } from './routing.ts';
import * as clusterInfo from './cluster.ts';
import type { ClusterDescription } from './cluster.ts';
import * as configs from './configs.ts';
import type { AlterConfigsOptions, AlterConfigsResource, ConfigDescription, DescribeConfigsOptions, DescribeConfigsResource, IncrementalAlterConfigsResource } from './configs.ts';
import * as groupOffsets from './group-offsets.ts';
import type { CommittedOffset, GroupOffsets, ListConsumerGroupOffsetsOptions, OffsetToCommit, ResetConsumerGroupOffsetsOptions } from './group-offsets.ts';
import * as groups from './groups.ts';
import type { ClassicGroupDescription, ConsumerGroupDescription, ListedGroup, ListGroupsOptions } from './groups.ts';
import type { TopicPartition } from './partition-leaders.ts';
import * as records from './records.ts';
import type { DeletedRecords, DeleteRecordsItem, DeleteRecordsOptions, ListedOffset, ListOffsetsOptions, ListOffsetsRequestItem } from './records.ts';
import * as topics from './topics.ts';
import type { CreatedTopic, CreateTopicsOptions, DescribeTopicsOptions, ListTopicsOptions, NewTopic, PartitionIncrease, TopicDescription } from './topics.ts';

export class Admin {
  readonly options: ResolvedAdminOptions;
  readonly cluster: Cluster;
  readonly #ctx: AdminContext;

  constructor(options: AdminOptions) {
    this.options = resolveAdminOptions(options);
    this.cluster = clusterFromOptions(options, {
      requestTimeoutMs: this.options.requestTimeoutMs,
      retryBackoffMs: this.options.retryBackoffMs,
      clientApiVersions: ADMIN_API_VERSIONS,
      allowAutoTopicCreation: false,
      metadataMaxAgeMs: this.options.metadataMaxAgeMs,
    });
    this.#ctx = { routing: new AdminRouting(this.cluster, this.options), retrier: new Retrier(options.clock, this.options) };
  }

  /** Closes every connection; later calls reject with KafkaStateError. */
  close(): Promise<void> {
    return this.cluster.close();
  }

  // Topics (topics.ts)

  /** Creates topics (partitions and replication factor, or replica assignments; configs; validateOnly). */
  createTopics(newTopics: readonly NewTopic[], options?: CreateTopicsOptions): Promise<CreatedTopic[]> {
    return topics.createTopics(this.#ctx, newTopics, options);
  }

  deleteTopics(names: readonly string[], options?: AdminCallOptions): Promise<void> {
    return topics.deleteTopics(this.#ctx, names, options);
  }

  listTopics(options?: ListTopicsOptions): Promise<string[]> {
    return topics.listTopics(this.#ctx, options);
  }

  /** Partitions (leader, replicas, ISR, offline replicas) and topic ids; DescribeTopicPartitions pages when served, else Metadata. */
  describeTopics(names: readonly string[], options?: DescribeTopicsOptions): Promise<TopicDescription[]> {
    return topics.describeTopics(this.#ctx, names, options);
  }

  /** Raises partition counts (`count` is the new total). */
  createPartitions(increases: readonly PartitionIncrease[], options?: CreateTopicsOptions): Promise<void> {
    return topics.createPartitions(this.#ctx, increases, options);
  }

  // Configs (configs.ts)

  /** Configs of topics and brokers, with sources and (by default) synonyms. */
  describeConfigs(resources: readonly DescribeConfigsResource[], options?: DescribeConfigsOptions): Promise<ConfigDescription[]> {
    return configs.describeConfigs(this.#ctx, resources, options);
  }

  /** set / delete / append / subtract on each resource's dynamic configs. */
  incrementalAlterConfigs(resources: readonly IncrementalAlterConfigsResource[], options?: AlterConfigsOptions): Promise<void> {
    return configs.incrementalAlterConfigs(this.#ctx, resources, options);
  }

  /** Replaces each resource's dynamic configs (keys left out return to their defaults). */
  alterConfigs(resources: readonly AlterConfigsResource[], options?: AlterConfigsOptions): Promise<void> {
    return configs.alterConfigs(this.#ctx, resources, options);
  }

  // Cluster (cluster.ts)

  /** Cluster id, controller and brokers. */
  describeCluster(options?: AdminCallOptions): Promise<ClusterDescription> {
    return clusterInfo.describeCluster(this.#ctx, options);
  }

  // Records (records.ts)

  /** Earliest / latest / max-timestamp / by-timestamp offsets, asked of each partition's leader. */
  listOffsets(items: readonly ListOffsetsRequestItem[], options?: ListOffsetsOptions): Promise<ListedOffset[]> {
    return records.listOffsets(this.#ctx, items, options);
  }

  /** Deletes records before each partition's offset (at its leader); resolves with the new log start offsets. */
  deleteRecords(items: readonly DeleteRecordsItem[], options?: DeleteRecordsOptions): Promise<DeletedRecords[]> {
    return records.deleteRecords(this.#ctx, items, options);
  }

  // Groups (groups.ts, group-offsets.ts)

  /** Every group of every broker (states and types filters need ListGroups v4 / v5). */
  listGroups(options?: ListGroupsOptions): Promise<ListedGroup[]> {
    return groups.listGroups(this.#ctx, options);
  }

  /** Classic groups, members' subscriptions and assignments decoded. */
  describeGroups(groupIds: readonly string[], options?: AdminCallOptions): Promise<ClassicGroupDescription[]> {
    return groups.describeGroups(this.#ctx, groupIds, options);
  }

  /** KIP-848 consumer groups (ConsumerGroupDescribe). */
  describeConsumerGroups(groupIds: readonly string[], options?: AdminCallOptions): Promise<ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.#ctx, groupIds, options);
  }

  deleteGroups(groupIds: readonly string[], options?: AdminCallOptions): Promise<void> {
    return groups.deleteGroups(this.#ctx, groupIds, options);
  }

  listConsumerGroupOffsets(groupIds: readonly string[], options?: ListConsumerGroupOffsetsOptions): Promise<GroupOffsets[]> {
    return groupOffsets.listConsumerGroupOffsets(this.#ctx, groupIds, options);
  }

  /** Commits offsets for a group without members (simple commit). */
  alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[], options?: AdminCallOptions): Promise<void> {
    return groupOffsets.alterConsumerGroupOffsets(this.#ctx, groupId, offsets, options);
  }

  /** kafka-consumer-groups --reset-offsets: earliest / latest / timestamp / offset; NON_EMPTY_GROUP while members remain. */
  resetConsumerGroupOffsets(groupId: string, options: ResetConsumerGroupOffsetsOptions): Promise<CommittedOffset[]> {
    return groupOffsets.resetConsumerGroupOffsets(this.#ctx, groupId, options);
  }

  deleteConsumerGroupOffsets(groupId: string, partitions: readonly TopicPartition[], options?: AdminCallOptions): Promise<void> {
    return groupOffsets.deleteConsumerGroupOffsets(this.#ctx, groupId, partitions, options);
  }
}
