// Client-side partition assignors for classic consumer groups, and the consumer protocol
// payloads (subscription, assignment) they read and write.
export type { Assignor, GroupAssignment, GroupMember, MemberSubscription, RebalanceProtocol, TopicPartitions } from './assignor.ts';
export { rangeAssignor } from './range.ts';
export { roundRobinAssignor } from './round-robin.ts';
export { cooperativeStickyAssignor, subscriptionUserData } from './cooperative-sticky.ts';
export {
  CONSUMER_PROTOCOL_VERSION_LATEST,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.ts';
export type { MemberAssignment } from './consumer-protocol.ts';
export { generationOf } from './owned-partitions.ts';
