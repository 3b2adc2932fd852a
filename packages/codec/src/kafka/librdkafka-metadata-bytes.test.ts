// What librdkafka >= 2.1's all-topics Metadata v9+ request decodes to, read field by field as
// Kafka's generated MetadataRequestData reads it.
//
// librdkafka reserves the topics count as an int32 0 (`rd_kafka_buf_write_arraycnt_pos`) and,
// for "all topics" at v9+, never shrinks it to the 1-byte compact-array null. The body is then
//   v11+:    00 00 00 00 | allowAuto | includeTopicOps | 00 (tagged fields)
//   v9-v10:  00 00 00 00 | allowAuto | includeClusterOps | includeTopicOps | 00
// A reader takes the first 0x00 as the compact null (all topics), the next three 0x00 as the
// booleans and the tagged-field count, and leaves the client's real fields behind. These tests
// pin that reading; the broker accepts the leftover bytes (see broker's request-trailing-bytes test).
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { Reader } from '../primitives/reader.ts';
import { decodeMessage } from './encode-decode.ts';
import { MetadataRequestCodec } from './generated/metadata-request.ts';

const librdkafkaAllTopics = (v: number, allowAuto: number, clusterOps: number, topicOps: number): Uint8Array =>
  Uint8Array.from(v >= 11 ? [0, 0, 0, 0, allowAuto, topicOps, 0] : [0, 0, 0, 0, allowAuto, clusterOps, topicOps, 0]);

describe('librdkafka all-topics Metadata v9+ bytes', () => {
  for (const v of [11, 12]) {
    for (const allowAuto of [0, 1]) {
      it(`v${v}, allowAutoTopicCreation=${allowAuto}: null topics (all), booleans false, no tags, 3 bytes left`, () => {
        const r = new Reader(librdkafkaAllTopics(v, allowAuto, 0, 0), 'MetadataRequest', v);
        const body = MetadataRequestCodec.read(r, v);
        expect(r.failed).toBe(false);
        expect(body.topics).toBeNull();
        expect(body.allowAutoTopicCreation).toBe(false);
        expect(body.includeTopicAuthorizedOperations).toBe(false);
        expect(body.unknownTaggedFields).toBeUndefined();
        expect(r.remaining).toBe(3);
      });
    }
  }

  it('v9-v10 with allowAutoTopicCreation=0: 3 bytes left', () => {
    for (const v of [9, 10]) {
      const r = new Reader(librdkafkaAllTopics(v, 0, 1, 1), 'MetadataRequest', v);
      const body = MetadataRequestCodec.read(r, v);
      expect(r.failed).toBe(false);
      expect(body.topics).toBeNull();
      expect(body.includeClusterAuthorizedOperations).toBe(false);
      expect(r.remaining).toBe(3);
    }
  });

  it('v9-v10 with allowAutoTopicCreation=1: that byte is read as one tagged field (tag, size, data), as Kafka reads it', () => {
    // allowAuto=1 → 1 tagged field; tag = clusterOps byte, size = topicOps byte, then that many data bytes.
    const withData = new Reader(librdkafkaAllTopics(10, 1, 0, 1), 'MetadataRequest', 10);
    const a = MetadataRequestCodec.read(withData, 10);
    expect(withData.failed).toBe(false);
    expect(a.topics).toBeNull();
    expect(a.unknownTaggedFields).toEqual([{ tag: 0, data: Uint8Array.from([0]) }]);
    expect(withData.remaining).toBe(0);
    const empty = new Reader(librdkafkaAllTopics(9, 1, 1, 0), 'MetadataRequest', 9);
    const b = MetadataRequestCodec.read(empty, 9);
    expect(empty.failed).toBe(false);
    expect(b.topics).toBeNull();
    expect(b.unknownTaggedFields).toEqual([{ tag: 1, data: new Uint8Array(0) }]);
    expect(empty.remaining).toBe(1);
  });

  it('the strict one-shot decodeMessage still reports the leftover bytes', () => {
    expect(() => decodeMessage(MetadataRequestCodec, librdkafkaAllTopics(12, 1, 0, 0), 12)).toThrow(DecodeError);
    try {
      decodeMessage(MetadataRequestCodec, librdkafkaAllTopics(12, 1, 0, 0), 12);
    } catch (e) {
      expect((e as DecodeError).reason).toBe('trailing-bytes');
    }
  });
});
