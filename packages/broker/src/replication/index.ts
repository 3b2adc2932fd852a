// Barrel for src/replication: the inter-broker replica-fetch transport (issue 14). See README.md.
export {
  decodeRequestMessage,
  decodeResponseMessage,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeHelloRequest,
  encodeHelloResponse,
  FETCH_PARTITIONS_MAX,
  REPLICA_FETCH_PROTOCOL_VERSION,
  REPLICA_FETCH_SCHEMA_VERSION,
  replicaFetchCodec,
} from './replica-fetch-messages.ts';
export type {
  DivergingEpoch,
  HelloRequest,
  HelloResponse,
  ReplicaFetchPartitionRequest,
  ReplicaFetchPartitionResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
  ReplicaRequestMessage,
  ReplicaResponseMessage,
} from './replica-fetch-messages.ts';
export { ReplicaFetchServer } from './replica-fetch-server.ts';
export type { ReplicaFetchHandler, ReplicaFetchServerOptions } from './replica-fetch-server.ts';
export { ReplicaFetchError, ReplicaFetcherConnection } from './replica-fetcher-connection.ts';
export type { LeaderEndpoint, ReplicaFetchErrorCode, ReplicaFetcherConnectionOptions } from './replica-fetcher-connection.ts';
export { fetcherIndexOf, partitionsByFetcher, ReplicaFetcherPool } from './replica-fetcher-pool.ts';
export type { ReplicaFetcherPoolOptions } from './replica-fetcher-pool.ts';
export { parseEndpointOverrides, parseReplicaListener, REPLICA_FETCH_DEFAULTS, replicaFetchConfigOf } from './replica-fetch-config.ts';
export type { ReplicaFetchConfig, ReplicaListenerAddress } from './replica-fetch-config.ts';
export { ReplicaManager, TICK_INTERVAL_MS, ACKS_TIMEOUT_MS_MAX } from './replica-manager.ts';
export type { ReplicaManagerOptions, ReplicationPlantedBug } from './replica-manager.ts';
export type { ReplicationService } from './replication-service.ts';
export { FollowerFetcher, machineResponse } from './follower-fetcher.ts';
export type { FollowerSlot } from './follower-fetcher.ts';
export { answerReplicaFetch, notLeadingAnswer } from './leader-fetch-handler.ts';
