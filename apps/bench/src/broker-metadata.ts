/**
 * One broker's Metadata (and FindCoordinator) answer, asked on a raw socket (no client library), so the answer is
 * that broker's own view and never one a client fetched from another broker. The cluster
 * suites and benches compare these views across brokers (same brokers, same leaders).
 *
 * Metadata v9 (flexible; what every broker version here answers), all topics or the named
 * ones. Bounded: connecting and reading the answer each have `timeoutMs`.
 */
import { decodeResponseFrame, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, MetadataRequestCodec, MetadataResponseCodec } from '@samsa/codec';
import { encodeRequest } from './kafka-requests.ts';
import { connect, readFrame } from './kafka-wire.ts';

const METADATA_KEY = 3;
const METADATA_VERSION = 9;
const FIND_COORDINATOR_KEY = 10;
const FIND_COORDINATOR_VERSION = 3;
const TIMEOUT_MS_DEFAULT = 5000;

export interface MetadataPartition {
  readonly partition: number;
  readonly errorCode: number;
  /** -1 when offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface MetadataTopic {
  readonly name: string;
  readonly errorCode: number;
  /** By partition number. */
  readonly partitions: readonly MetadataPartition[];
}

export interface BrokerMetadata {
  readonly clusterId: string | null;
  readonly controllerId: number;
  /** By node id. */
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number; readonly rack: string | null }[];
  readonly topics: readonly MetadataTopic[];
}

/** Metadata from the broker on 127.0.0.1:`port` (all topics when `topics` is undefined). */
export async function fetchMetadata(port: number, topics?: readonly string[], timeoutMs = TIMEOUT_MS_DEFAULT): Promise<BrokerMetadata> {
  const socket = await connect(port, timeoutMs);
  try {
    const body = {
      topics: topics === undefined ? null : topics.map((name) => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    socket.write(encodeRequest(METADATA_KEY, METADATA_VERSION, 1, 'samsa-cluster-probe', MetadataRequestCodec, body));
    const frame = await readFrame(socket, timeoutMs);
    const { body: response } = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length), METADATA_KEY, METADATA_VERSION, MetadataResponseCodec);
    return {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      topics: response.topics.map((t) => ({
        name: t.name ?? '',
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes] }))
          .sort((a, b) => a.partition - b.partition),
      })),
    };
  } finally {
    socket.destroy();
  }
}

/** `topic`'s leaders by partition in `metadata`, or null when the topic is missing or has an error. */
export function leadersOf(metadata: BrokerMetadata, topic: string): number[] | null {
  const t = metadata.topics.find((x) => x.name === topic);
  if (t === undefined || t.errorCode !== 0) return null;
  return t.partitions.map((p) => p.leader);
}

/** The coordinator of consumer group `groupId` as the broker on `port` answers FindCoordinator v3. */
export async function findCoordinator(port: number, groupId: string, timeoutMs = TIMEOUT_MS_DEFAULT): Promise<{ readonly errorCode: number; readonly nodeId: number; readonly port: number }> {
  const socket = await connect(port, timeoutMs);
  try {
    socket.write(encodeRequest(FIND_COORDINATOR_KEY, FIND_COORDINATOR_VERSION, 1, 'samsa-cluster-probe', FindCoordinatorRequestCodec, { key: groupId, keyType: 0, coordinatorKeys: [] }));
    const frame = await readFrame(socket, timeoutMs);
    const { body } = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length), FIND_COORDINATOR_KEY, FIND_COORDINATOR_VERSION, FindCoordinatorResponseCodec);
    return { errorCode: body.errorCode, nodeId: body.nodeId, port: body.port };
  } finally {
    socket.destroy();
  }
}
