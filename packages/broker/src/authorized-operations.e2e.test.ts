// KIP-430 authorized operations with no authorizer (issue 11, defect E): when a request asks,
// Metadata, DescribeGroups and DescribeCluster answer every operation the resource type
// supports (Kafka 3.9's AclEntry.supportedOperations); when it does not ask, or its version
// has no flag, the field keeps Kafka's "not requested" INT32_MIN. Every served version is
// encoded, sent and its response decoded.
import {
  DescribeClusterRequestCodec,
  DescribeClusterResponseCodec,
  DescribeGroupsRequestCodec,
  DescribeGroupsResponseCodec,
  ErrorCode,
  MetadataRequestCodec,
  MetadataResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import { encodeMemberAssignment } from '@samsa/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTestClient, settle } from './groups/group-test-client.ts';
import { AclOperation, AUTHORIZED_OPERATIONS_NOT_REQUESTED, CLUSTER_AUTHORIZED_OPERATIONS, GROUP_AUTHORIZED_OPERATIONS, operationsBitfield, TOPIC_AUTHORIZED_OPERATIONS } from './handlers/authorized-operations.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const NOT_REQUESTED = -2147483648;
/** Bits of the operation codes, spelled out so a wrong constant cannot hide behind itself. */
const bits = (...codes: number[]): number => codes.reduce((field, c) => field | (1 << c), 0);
// READ=3 WRITE=4 CREATE=5 DELETE=6 ALTER=7 DESCRIBE=8 CLUSTER_ACTION=9 DESCRIBE_CONFIGS=10 ALTER_CONFIGS=11 IDEMPOTENT_WRITE=12
const TOPIC_OPS = bits(3, 4, 5, 6, 7, 8, 10, 11);
const GROUP_OPS = bits(3, 6, 8);
const CLUSTER_OPS = bits(5, 7, 8, 9, 10, 11, 12);

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function setup(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=1'] });
  const client = await tb.connect();
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', 2), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  return { tb, client };
}

describe('authorized operation sets', () => {
  it('match the operation codes Kafka supports per resource type', () => {
    expect(TOPIC_AUTHORIZED_OPERATIONS).toBe(TOPIC_OPS);
    expect(TOPIC_AUTHORIZED_OPERATIONS).toBe(3576);
    expect(GROUP_AUTHORIZED_OPERATIONS).toBe(GROUP_OPS);
    expect(GROUP_AUTHORIZED_OPERATIONS).toBe(328);
    expect(CLUSTER_AUTHORIZED_OPERATIONS).toBe(CLUSTER_OPS);
    expect(CLUSTER_AUTHORIZED_OPERATIONS).toBe(8096);
    expect(AUTHORIZED_OPERATIONS_NOT_REQUESTED).toBe(NOT_REQUESTED);
    expect(operationsBitfield([AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS])).toBe(bits(13, 14));
    expect(() => operationsBitfield([32])).toThrow();
  });
});

describe('Metadata authorized operations', () => {
  for (let v = 0; v <= 12; v++) {
    it(`v${v}: ${v >= 8 ? 'topic ops when asked' : 'no flag'}${v >= 8 && v <= 10 ? ', cluster ops when asked' : ''}; "not requested" otherwise`, async () => {
      const { client } = await setup();
      const topics = v === 0 ? [] : null;
      const ask = async (topicOps: boolean, clusterOps: boolean) =>
        client.request(3, v, MetadataRequestCodec, { topics, allowAutoTopicCreation: v < 4, includeClusterAuthorizedOperations: clusterOps, includeTopicAuthorizedOperations: topicOps }, MetadataResponseCodec);
      const plain = await ask(false, false);
      expect(plain.topics.map((t) => t.name)).toEqual(['events']);
      expect(plain.topics[0]!.topicAuthorizedOperations).toBe(NOT_REQUESTED);
      expect(plain.clusterAuthorizedOperations).toBe(NOT_REQUESTED);
      if (v < 8) return;
      const withTopics = await ask(true, false);
      expect(withTopics.topics[0]!.topicAuthorizedOperations).toBe(TOPIC_OPS);
      expect(withTopics.clusterAuthorizedOperations).toBe(NOT_REQUESTED);
      if (v > 10) return;
      const withCluster = await ask(false, true);
      expect(withCluster.topics[0]!.topicAuthorizedOperations).toBe(NOT_REQUESTED);
      expect(withCluster.clusterAuthorizedOperations).toBe(CLUSTER_OPS);
      const both = await ask(true, true);
      expect(both.topics[0]!.topicAuthorizedOperations).toBe(TOPIC_OPS);
      expect(both.clusterAuthorizedOperations).toBe(CLUSTER_OPS);
    });
  }

  it('v12: an unknown topic by name carries the ops (as Kafka), one by unknown topic id keeps "not requested"', async () => {
    const { client } = await setup();
    const res = await client.request(
      3,
      12,
      MetadataRequestCodec,
      {
        topics: [
          { topicId: ZERO_UUID, name: 'missing' },
          { topicId: 'XRyaLgwbT36aVzsfDm8tEQ', name: null },
        ],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: true,
      },
      MetadataResponseCodec,
    );
    expect(res.topics.map((t) => [t.errorCode, t.topicAuthorizedOperations])).toEqual([
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, TOPIC_OPS],
      [ErrorCode.UNKNOWN_TOPIC_ID, NOT_REQUESTED],
    ]);
  });
});

describe('DescribeGroups authorized operations', () => {
  for (let v = 0; v <= 5; v++) {
    it(`v${v}: ${v >= 3 ? 'group ops when asked, for a stable group and an unknown (Dead) one' : 'no flag: "not requested"'}`, async () => {
      const { tb, client } = await setup();
      const member = new GroupTestClient(await tb.connect('member'), tb.clock, 'g1', { join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 6, fetch: 5 });
      const join = await member.join(['events']);
      expect(join.errorCode).toBe(ErrorCode.NONE);
      const assignment = encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [0, 1] }], userData: null });
      expect((await settle(tb.clock, member.syncAsync([{ memberId: member.memberId, assignment }]))).errorCode).toBe(ErrorCode.NONE);
      const describe = async (include: boolean) =>
        client.request(15, v, DescribeGroupsRequestCodec, { groups: ['g1', 'nobody'], includeAuthorizedOperations: include }, DescribeGroupsResponseCodec);
      const plain = await describe(false);
      expect(plain.groups.map((g) => [g.groupId, g.groupState, g.errorCode])).toEqual([
        ['g1', 'Stable', ErrorCode.NONE],
        ['nobody', 'Dead', ErrorCode.NONE],
      ]);
      expect(plain.groups.map((g) => g.authorizedOperations)).toEqual([NOT_REQUESTED, NOT_REQUESTED]);
      if (v < 3) return;
      const asked = await describe(true);
      expect(asked.groups.map((g) => g.authorizedOperations)).toEqual([GROUP_OPS, GROUP_OPS]);
      expect(asked.groups[0]!.members).toHaveLength(1);
    });
  }
});

describe('DescribeCluster authorized operations', () => {
  for (const v of [0, 1]) {
    it(`v${v}: cluster ops when asked, "not requested" otherwise`, async () => {
      const { client } = await setup();
      const describe = async (include: boolean) =>
        client.request(60, v, DescribeClusterRequestCodec, { includeClusterAuthorizedOperations: include, endpointType: 1 }, DescribeClusterResponseCodec);
      const plain = await describe(false);
      expect(plain.errorCode).toBe(ErrorCode.NONE);
      expect(plain.clusterAuthorizedOperations).toBe(NOT_REQUESTED);
      const asked = await describe(true);
      expect(asked.errorCode).toBe(ErrorCode.NONE);
      expect(asked.clusterAuthorizedOperations).toBe(CLUSTER_OPS);
      expect(asked.brokers).toHaveLength(1);
    });
  }
});
