/**
 * The handler tables: every API a broker serves, which is exactly what ApiVersions
 * advertises. Add an API here only once every version in its range works.
 * `HANDLERS` is a single broker's; `CLUSTER_HANDLERS` (a broker in a cluster) adds the
 * cluster-only APIs (ControlledShutdown; issue 14: AlterPartition, ElectLeaders,
 * AlterPartitionReassignments, ListPartitionReassignments), so a single broker's
 * ApiVersions is unchanged.
 */
import type { ApiHandler } from './api-handler.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { alterPartitionHandler } from './alter-partition.ts';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.ts';
import { electLeadersHandler } from './elect-leaders.ts';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { controlledShutdownHandler } from './controlled-shutdown.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { describeLogDirsHandler } from './describe-log-dirs.ts';
import { describeProducersHandler } from './describe-producers.ts';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { createTopicsHandler } from './create-topics.ts';
import { fetchHandler } from './fetch.ts';
import { getTelemetrySubscriptionsHandler } from './get-telemetry-subscriptions.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import { deleteGroupsHandler } from './delete-groups.ts';
import { describeGroupsHandler } from './describe-groups.ts';
import { heartbeatHandler } from './heartbeat.ts';
import { joinGroupHandler } from './join-group.ts';
import { leaveGroupHandler } from './leave-group.ts';
import { listGroupsHandler } from './list-groups.ts';
import { offsetCommitHandler } from './offset-commit.ts';
import { offsetDeleteHandler } from './offset-delete.ts';
import { offsetFetchHandler } from './offset-fetch.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { pushTelemetryHandler } from './push-telemetry.ts';
import { syncGroupHandler } from './sync-group.ts';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.ts';
import { consumerGroupDescribeHandler } from './consumer-group-describe.ts';

export const HANDLERS: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  offsetForLeaderEpochHandler,
  describeLogDirsHandler,
  describeProducersHandler,
  getTelemetrySubscriptionsHandler,
  pushTelemetryHandler,
  describeTopicPartitionsHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
];

export const CLUSTER_HANDLERS: readonly ApiHandler[] = [
  ...HANDLERS,
  controlledShutdownHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  alterPartitionHandler,
];

/** The table of a broker in a cluster (`cluster` true) or of a single broker. */
export function handlerTableFor(cluster: boolean): readonly ApiHandler[] {
  return cluster ? CLUSTER_HANDLERS : HANDLERS;
}
