// @samsa/client: a runtime-free Kafka client: producer, consumer and admin. See README.md.
export {
  KafkaClientError,
  KafkaError,
  KafkaTimeoutError,
  KafkaAbortError,
  KafkaConnectionError,
  UnsupportedVersionError,
  KafkaStateError,
  RecordTooLargeError,
  isRetriable,
} from './errors.ts';
export type { KafkaClientErrorCode } from './errors.ts';
export { BrokerConnection } from './connection/broker-connection.ts';
export type { BrokerConnectionOptions, KafkaApi, RequestOptions } from './connection/broker-connection.ts';
export { CLIENT_API_VERSIONS } from './connection/client-api-versions.ts';
export type { VersionRange } from './connection/client-api-versions.ts';
export { Cluster } from './cluster/cluster.ts';
export type { ClusterOptions, TopicWaitOptions } from './cluster/cluster.ts';
export { MetadataCache } from './cluster/metadata-cache.ts';
export type { BrokerInfo, PartitionInfo, TopicInfo } from './cluster/metadata-cache.ts';
export { parseBootstrap } from './cluster/bootstrap.ts';
export type { BrokerAddress } from './cluster/bootstrap.ts';
export { Producer } from './producer/producer.ts';
export type { ProducerRecord, SendRequest, SendOptions } from './producer/producer.ts';
export type { ProducerOptions, Acks } from './producer/producer-options.ts';
export type { RecordMetadata } from './producer/producer-batch.ts';
export { stringSerde, jsonSerde } from './serde/serializers.ts';
export type { Serde } from './serde/serializers.ts';
export { murmur2Partition, StickyPartitioner, defaultPartitioner } from './partitioners/index.ts';
export type { Partitioner, PartitionerRecord } from './partitioners/index.ts';
export { Consumer } from './consumer/consumer.ts';
export type { AssignedPartition, CallOptions, RunOptions } from './consumer/consumer.ts';
export type { ConsumerOptions, IsolationLevel, OffsetResetStrategy } from './consumer/consumer-options.ts';
export type { ConsumerBatch, ConsumerRecord, ConsumerRecordHeader, TopicPartition, TopicPartitionOffset } from './consumer/consumer-record.ts';
export type { RebalanceListener } from './consumer/group-member.ts';
export { LogTruncationError } from './consumer/consumer-errors.ts';
export { CONSUMER_API_VERSIONS } from './consumer/consumer-api-versions.ts';
export { rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor } from './assignors/index.ts';
export type { Assignor, GroupAssignment, GroupMember, MemberSubscription, RebalanceProtocol } from './assignors/index.ts';
export {
  Admin,
  ADMIN_API_VERSIONS,
  ALTER_CONFIG_OP_CODES,
  CONFIG_RESOURCE_TYPE_CODES,
  CONFIG_SOURCE_NAMES,
  CONFIG_TYPE_NAMES,
  DELETE_RECORDS_HIGH_WATERMARK,
} from './admin/index.ts';
export type {
  AdminOptions,
  AdminCallOptions,
  CreatedTopic,
  CreateTopicsOptions,
  DescribeTopicsOptions,
  ListTopicsOptions,
  NewTopic,
  PartitionDescription,
  PartitionIncrease,
  TopicDescription,
  AlterConfigOp,
  AlterConfigOpType,
  AlterConfigsOptions,
  AlterConfigsResource,
  ConfigDescription,
  ConfigEntry,
  ConfigResource,
  ConfigResourceType,
  ConfigSourceName,
  ConfigSynonym,
  ConfigTypeName,
  DescribeConfigsOptions,
  DescribeConfigsResource,
  IncrementalAlterConfigsResource,
  BrokerDescription,
  ClusterDescription,
  DeletedRecords,
  DeleteRecordsItem,
  DeleteRecordsOptions,
  ListedOffset,
  ListOffsetsOptions,
  ListOffsetsRequestItem,
  OffsetSpec,
  TopicPartition as AdminTopicPartition,
  AssignedTopicPartitions,
  ClassicGroupDescription,
  ClassicGroupMember,
  ConsumerGroupDescription,
  ConsumerGroupMember,
  ListedGroup,
  ListGroupsOptions,
  CommittedOffset,
  GroupOffsets,
  ListConsumerGroupOffsetsOptions,
  OffsetToCommit,
  ResetConsumerGroupOffsetsOptions,
  ResetTarget,
} from './admin/index.ts';
export { consoleLogger, silentLogger } from './observability/index.ts';
export type {
  ClientMetrics,
  ConnectionMetric,
  FetchedRecordsMetric,
  LogFields,
  Logger,
  LogLevel,
  ProducedBatchMetric,
  RebalanceMetric,
  RequestMetric,
  RequestOutcome,
} from './observability/index.ts';
export type { ClientOptions } from './cluster/client-options.ts';
