// Barrel for src/group: the consumer-group coordinator, its `__consumer_offsets` records and helpers.
export { GroupCoordinator } from './group-coordinator.ts';
export type { GroupCoordinatorCounters, GroupCoordinatorOptions, LoadStats } from './group-coordinator.ts';
export { GroupState, DEFAULT_GROUP_COORDINATOR_CONFIG } from './types.ts';
export type * from './types.ts';
export * from './consumer-offsets-records.ts';
export { javaStringHashCode, consumerOffsetsPartitionFor } from './coordinator-partition.ts';
export { decodeMemberAssignment, decodeMemberSubscription, encodeMemberAssignment, encodeMemberSubscription, subscribedTopicsOf } from './consumer-protocol.ts';
export { SERVER_ASSIGNORS, DEFAULT_SERVER_ASSIGNOR, uniformAssignor, rangeAssignor } from './server-assignors.ts';
export type { ServerAssignor, AssignorMember } from './server-assignors.ts';
export type { SubscribedTopic, TopicAssignment } from './consumer-group.ts';
export {
  consumerGroupHeartbeatInput,
  heartbeatInput,
  joinGroupInput,
  joinGroupResponseFor,
  leaveGroupInput,
  leaveGroupResponseFor,
  listGroupsInput,
  offsetCommitInput,
  offsetFetchInputs,
  offsetFetchResponseFor,
  syncGroupInput,
} from './kafka-version-mapping.ts';
