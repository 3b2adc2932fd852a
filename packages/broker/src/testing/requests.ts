/**
 * Request bodies and record helpers shared by the broker's end-to-end tests.
 */
import { buildRecordBatch, iterateRecords, splitRecordBatches, ZERO_UUID } from '@samsa/codec';
import type { CreateTopicsRequest, FetchRequest, ProduceRequest } from '@samsa/codec';

const enc = new TextEncoder();
const dec = new TextDecoder();
/** ManualClock's wall time at start: record timestamps near it never trigger a time-based roll. */
export const BASE_TS = 1_700_000_000_000;

export function createTopicsBody(name: string, numPartitions: number, extra: Partial<CreateTopicsRequest> = {}, configs: Record<string, string> = {}): CreateTopicsRequest {
  return {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 1000,
    validateOnly: false,
    ...extra,
  };
}

export function produceBody(topic: string, partition: number, records: Uint8Array | null, acks = 1): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

export function fetchBody(topic: string, partition: number, fetchOffset: number, extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  };
}

export function batchOf(values: string[], options: Parameters<typeof buildRecordBatch>[1] = {}): Uint8Array {
  return buildRecordBatch(values.map((v, i) => ({ key: enc.encode(`k${i}`), value: enc.encode(v), timestampMs: BASE_TS + i })), options);
}

export function valuesOf(records: Uint8Array | null): Array<{ offset: number; value: string }> {
  const out: Array<{ offset: number; value: string }> = [];
  if (!records) return out;
  for (const b of splitRecordBatches(records).batches) {
    for (const r of iterateRecords(b, 0)) out.push({ offset: r.offset, value: r.value ? dec.decode(r.value) : '' });
  }
  return out;
}

