// The admin client: see README.md in this folder.
export { Admin } from './admin.ts';
export type { AdminOptions, ResolvedAdminOptions } from './admin-options.ts';
export type { AdminCallOptions } from './admin-context.ts';
export type { CreatedTopic, CreateTopicsOptions, DescribeTopicsOptions, ListTopicsOptions, NewTopic, PartitionDescription, PartitionIncrease, TopicDescription } from './topics.ts';
export { ADMIN_API_VERSIONS } from './admin-api-versions.ts';
export { ALTER_CONFIG_OP_CODES, CONFIG_RESOURCE_TYPE_CODES, CONFIG_SOURCE_NAMES, CONFIG_TYPE_NAMES } from './configs.ts';
export type {
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
} from './configs.ts';
export type { BrokerDescription, ClusterDescription } from './cluster.ts';
export { DELETE_RECORDS_HIGH_WATERMARK } from './records.ts';
export type { DeletedRecords, DeleteRecordsItem, DeleteRecordsOptions, ListedOffset, ListOffsetsOptions, ListOffsetsRequestItem, OffsetSpec } from './records.ts';
export type { TopicPartition } from './partition-leaders.ts';
export type {
  AssignedTopicPartitions,
  ClassicGroupDescription,
  ClassicGroupMember,
  ConsumerGroupDescription,
  ConsumerGroupMember,
  ListedGroup,
  ListGroupsOptions,
} from './groups.ts';
export type { CommittedOffset, GroupOffsets, ListConsumerGroupOffsetsOptions, OffsetToCommit, ResetConsumerGroupOffsetsOptions, ResetTarget } from './group-offsets.ts';
