// Encode-side validation: version-absent fields (ignorable or not), nullability, int64 range,
// uuid form, tagged fields written only when not default, unknown tags kept in tag order.
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../primitives/encode-error.ts';
import { decodeMessage, encodeMessage } from './encode-decode.ts';
import { ProduceRequestCodec } from './generated/produce-request.ts';
import type { ProduceRequest } from './generated/produce-request.ts';
import { FetchRequestCodec } from './generated/fetch-request.ts';
import { MetadataRequestCodec } from './generated/metadata-request.ts';
import { ListOffsetsRequestCodec } from './generated/list-offsets-request.ts';
import { RequestHeaderCodec } from './generated/request-header.ts';

const produce = (over: Partial<ProduceRequest>): ProduceRequest => ({ transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [], ...over });

describe('encode validation', () => {
  it('refuses a non-default value of a non-ignorable field the version lacks', () => {
    expect(() => encodeMessage(ProduceRequestCodec, produce({ transactionalId: 'tx' }), 2)).toThrow(EncodeError);
    expect(encodeMessage(ProduceRequestCodec, produce({ transactionalId: 'tx' }), 3).length).toBeGreaterThan(0);
    expect(() => encodeMessage(ProduceRequestCodec, produce({}), 2)).not.toThrow();
  });

  it('drops an ignorable field silently', () => {
    // RequestHeader.ClientId is ignorable and absent from v0
    const header = { requestApiKey: 7, requestApiVersion: 0, correlationId: 1, clientId: 'dropped' };
    const bytes = encodeMessage(RequestHeaderCodec, header, 0);
    expect(bytes.length).toBe(8);
    expect(decodeMessage(RequestHeaderCodec, bytes, 0).clientId).toBe('');
    // MetadataRequest.IncludeClusterAuthorizedOperations (8-10) is not ignorable
    const msg = { topics: [], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: false };
    expect(() => encodeMessage(MetadataRequestCodec, msg, 11)).toThrow(EncodeError);
  });

  it('refuses null where the version is not nullable', () => {
    // MetadataRequest.Topics is nullable from v1 only
    const msg = { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
    expect(() => encodeMessage(MetadataRequestCodec, msg, 0)).toThrow(EncodeError);
    expect(decodeMessage(MetadataRequestCodec, encodeMessage(MetadataRequestCodec, msg, 1), 1).topics).toBeNull();
  });

  it('refuses unsafe int64 values', () => {
    const msg = { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 2 ** 60, maxNumOffsets: 1 }] }], timeoutMs: 0 };
    expect(() => encodeMessage(ListOffsetsRequestCodec, msg, 1)).toThrow(/safe integer/);
  });

  it('writes a tagged field only when it is not the default, and keeps unknown tags in order', () => {
    const base = {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 0x7fffffff,
      isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '',
    };
    const plain = encodeMessage(FetchRequestCodec, base, 12);
    const tagged = encodeMessage(FetchRequestCodec, { ...base, clusterId: 'c1', unknownTaggedFields: [{ tag: 5, data: Uint8Array.of(9) }] }, 12);
    expect(tagged.length).toBe(plain.length + 5 + 3); // tag 0: tag, size, len+1, 'c1'; tag 5: tag, size, data
    expect(plain[plain.length - 1]).toBe(0); // no tagged fields
    const back = decodeMessage(FetchRequestCodec, tagged, 12);
    expect(back.clusterId).toBe('c1');
    expect(back.unknownTaggedFields).toEqual([{ tag: 5, data: Uint8Array.of(9) }]);
    expect([...tagged.subarray(tagged.length - 9)]).toEqual([2, 0, 3, 3, 0x63, 0x31, 5, 1, 9]);
  });

  it('rejects a malformed uuid', () => {
    const msg = {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: '', topicId: 'not-a-uuid', partitions: [] }], forgottenTopicsData: [], rackId: '',
    };
    expect(() => encodeMessage(FetchRequestCodec, msg, 13)).toThrow(/not a uuid/);
  });
});
