// The controller (issue 13): the cluster schema in the metadata store, the election with
// its fence, the pure state machine and its driver.
export { ClusterKeys, isLegalTopicName, type ClusterKey } from './cluster-keys.ts';
export * from './cluster-records.ts';
export { ClusterImage, type Versioned } from './cluster-image.ts';
export { campaignOutcome, campaignTxn, fenceCompares, isDeposedBy, type ControllerSession } from './controller-election.ts';
export { AssignmentError, assignReplicas, rackAlternated, validateAssignment, type AssignableBroker, type AssignOptions } from './replica-assignment.ts';
export { nextPartitionState, preferredElection, uncleanElection, type ElectionError } from './partition-election.ts';
export { completedReassignment, originalReplicas, ReassignmentError, startReassignment } from './partition-reassignment.ts';
export { ControllerState } from './controller-state.ts';
export { Controller, type ControllerOptions } from './controller.ts';
export type * from './controller-types.ts';
