// Fetch sessions (KIP-227), topic ids (KIP-516, v13+), diverging epochs (KIP-320, v12+)
// and node endpoints (KIP-951, v16+) end to end, over a connection to the in-process
// broker on the memory runtime. Checked:
//   - epoch 0 opens a session (non-zero id); an incremental fetch answers only the
//     partitions with something new; forgotten partitions stop appearing;
//   - a wrong epoch → INVALID_FETCH_SESSION_EPOCH, an unknown id →
//     FETCH_SESSION_ID_NOT_FOUND, a session of names used by v13 → FETCH_SESSION_TOPIC_ID_ERROR;
//   - the slot bound: a full cache serves a newcomer without a session, unless a session
//     expired or a larger newcomer may evict a smaller old one;
//   - v13-v17 name topics by id; an unknown id answers UNKNOWN_TOPIC_ID on each partition;
//   - last_fetched_epoch against the epoch history: diverging_epoch, no records;
//   - v16 lists the leader named by NOT_LEADER_OR_FOLLOWER in node_endpoints (cluster view).
import { ErrorCode, FetchRequestCodec, FetchResponseCodec, ZERO_UUID } from '@samsa/codec';
import type { FetchRequest, FetchResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { fetchSessionCacheOf } from './handlers/fetch.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { KafkaTestClient as Client } from './testing/kafka-test-client.ts';
import { batchOf, fetchBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
let clusterBroker: Broker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
  await clusterBroker?.shutdown();
  clusterBroker = null;
});

type Part = { readonly partition: number; readonly fetchOffset?: number; readonly lastFetchedEpoch?: number };

/** A fetch body over `parts` of `topic` (name, or id from v13). */
function body(topic: string, parts: readonly Part[], extra: Partial<FetchRequest> = {}, byId = false): FetchRequest {
  const base = fetchBody(topic, 0, 0);
  const template = base.topics[0]!.partitions[0]!;
  const partitions = parts.map((p) => ({ ...template, partition: p.partition, fetchOffset: p.fetchOffset ?? 0, lastFetchedEpoch: p.lastFetchedEpoch ?? -1 }));
  return { ...base, topics: parts.length === 0 ? [] : [{ topic: byId ? '' : topic, topicId: byId ? topic : ZERO_UUID, partitions }], ...extra };
}

function fetch(client: KafkaTestClient, version: number, req: FetchRequest): Promise<FetchResponse> {
  return client.request(1, version, FetchRequestCodec, req, FetchResponseCodec);
}

/** "topic-partition" of every partition answered. */
const answered = (res: FetchResponse): string[] => res.responses.flatMap((t) => t.partitions.map((p) => `${t.topic || t.topicId}-${p.partitionIndex}`));

async function produce(b: TestBroker, topic: string, partition: number, values: string[]): Promise<void> {
  expect((await b.broker.registry.partition(topic, partition)!.produce(batchOf(values))).errorCode).toBe(ErrorCode.NONE);
}

async function brokerWithTopic(topic: string, partitions: number, overrides: string[] = []): Promise<{ b: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides });
  expect((await tb.broker.registry.createTopic(topic, partitions, {})).errorCode).toBe(ErrorCode.NONE);
  return { b: tb, client: await tb.connect() };
}

describe('incremental fetch sessions (KIP-227)', () => {
  it('opens a session, answers only changed partitions, stops answering forgotten ones', async () => {
    const { b, client } = await brokerWithTopic('s', 3);
    await produce(b, 's', 0, ['zero']);
    const full = await fetch(client, 12, body('s', [{ partition: 0 }, { partition: 1 }, { partition: 2 }], { sessionId: 0, sessionEpoch: 0 }));
    expect(full.errorCode).toBe(ErrorCode.NONE);
    expect(full.sessionId).not.toBe(0);
    expect(answered(full)).toEqual(['s-0', 's-1', 's-2']);
    const id = full.sessionId;

    // Nothing new anywhere: an empty answer (the client moved p0's offset past its record).
    const quiet = await fetch(client, 12, body('s', [{ partition: 0, fetchOffset: 1 }], { sessionId: id, sessionEpoch: 1 }));
    expect(quiet).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: id });
    expect(answered(quiet)).toEqual([]);

    await produce(b, 's', 2, ['two']);
    const changed = await fetch(client, 12, body('s', [], { sessionId: id, sessionEpoch: 2 }));
    expect(answered(changed)).toEqual(['s-2']);
    expect(valuesOf(changed.responses[0]!.partitions[0]!.records).map((r) => r.value)).toEqual(['two']);

    // Forget p1; new records on p1 and p0 (p2's offset moves on too).
    const forget = await fetch(client, 12, body('s', [{ partition: 2, fetchOffset: 1 }], { sessionId: id, sessionEpoch: 3, forgottenTopicsData: [{ topic: 's', topicId: ZERO_UUID, partitions: [1] }] }));
    expect(answered(forget)).toEqual([]);
    await produce(b, 's', 1, ['one']);
    await produce(b, 's', 0, ['zero again']);
    const after = await fetch(client, 12, body('s', [], { sessionId: id, sessionEpoch: 4 }));
    expect(answered(after)).toEqual(['s-0']);
    expect(fetchSessionCacheOf(b.broker.context).size).toBe(1);
  });

  it('answers a sessionless fetch (epoch -1) with session id 0 and closes a session it names', async () => {
    const { b, client } = await brokerWithTopic('sl', 1);
    const sessionless = await fetch(client, 12, body('sl', [{ partition: 0 }], { sessionId: 0, sessionEpoch: -1 }));
    expect(sessionless.sessionId).toBe(0);
    const id = (await fetch(client, 12, body('sl', [{ partition: 0 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId;
    expect(fetchSessionCacheOf(b.broker.context).size).toBe(1);
    const closing = await fetch(client, 12, body('sl', [{ partition: 0 }], { sessionId: id, sessionEpoch: -1 }));
    expect(closing).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: 0 });
    expect(answered(closing)).toEqual(['sl-0']);
    expect(fetchSessionCacheOf(b.broker.context).size).toBe(0);
  });

  it('refuses a wrong epoch, an unknown session id and a v13 request on a session of names', async () => {
    const { client } = await brokerWithTopic('e', 1);
    const id = (await fetch(client, 12, body('e', [{ partition: 0 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId;
    const wrong = await fetch(client, 12, body('e', [], { sessionId: id, sessionEpoch: 5 }));
    expect(wrong).toMatchObject({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });
    const unknown = await fetch(client, 12, body('e', [], { sessionId: id ^ 1, sessionEpoch: 1 }));
    expect(unknown).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
    const byId = await fetch(client, 13, body(ZERO_UUID, [], { sessionId: id, sessionEpoch: 1 }, true));
    expect(byId.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // None of the refusals moved the session: epoch 1 still works.
    expect((await fetch(client, 12, body('e', [], { sessionId: id, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.NONE);
  });

  it('a full cache serves newcomers without a session until a session expires or a larger one may evict an old one', async () => {
    const { b, client } = await brokerWithTopic('c', 3, ['max.incremental.fetch.session.cache.slots=1', 'min.incremental.fetch.session.eviction.ms=1000']);
    const first = (await fetch(client, 12, body('c', [{ partition: 0 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId;
    expect(first).not.toBe(0);
    // The slot is taken by a young session: a larger newcomer gets none.
    expect((await fetch(client, 12, body('c', [{ partition: 0 }, { partition: 1 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId).toBe(0);
    // 600 ms on, still in use; 1200 ms after its creation it is old enough to be evicted.
    b.clock.advance(600);
    expect((await fetch(client, 12, body('c', [], { sessionId: first, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.NONE);
    b.clock.advance(600);
    expect((await fetch(client, 12, body('c', [{ partition: 2 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId).toBe(0);
    const larger = (await fetch(client, 12, body('c', [{ partition: 0 }, { partition: 1 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId;
    expect(larger).not.toBe(0);
    expect((await fetch(client, 12, body('c', [], { sessionId: first, sessionEpoch: 2 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // Unused past the eviction time: expired, and its slot goes to the next newcomer.
    b.clock.advance(1001);
    expect((await fetch(client, 12, body('c', [], { sessionId: larger, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect((await fetch(client, 12, body('c', [{ partition: 2 }], { sessionId: 0, sessionEpoch: 0 }))).sessionId).not.toBe(0);
    expect(fetchSessionCacheOf(b.broker.context).size).toBe(1);
  });
});

describe('Fetch v13-v17: topics by id (KIP-516)', () => {
  it('reads by topic id at every version 13-17, answers by id, and an unknown id with UNKNOWN_TOPIC_ID per partition', async () => {
    const { b, client } = await brokerWithTopic('ids', 2);
    await produce(b, 'ids', 1, ['by id']);
    const topicId = b.broker.registry.topic('ids')!.record.topicId;
    for (let v = 13; v <= 17; v++) {
      const res = await fetch(client, v, body(topicId, [{ partition: 0 }, { partition: 1 }], {}, true));
      expect(res.errorCode).toBe(ErrorCode.NONE);
      expect(res.responses.map((t) => t.topicId)).toEqual([topicId]);
      const [p0, p1] = res.responses[0]!.partitions;
      expect([p0!.errorCode, p1!.errorCode, p1!.highWatermark]).toEqual([ErrorCode.NONE, ErrorCode.NONE, 1]);
      expect(valuesOf(p1!.records).map((r) => r.value)).toEqual(['by id']);
    }
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    expect(unknownId).not.toBe(topicId);
    const unknown = await fetch(client, 17, body(unknownId, [{ partition: 0 }, { partition: 3 }], {}, true));
    expect(unknown.responses).toHaveLength(1);
    expect(unknown.responses[0]!.topicId).toBe(unknownId);
    expect(unknown.responses[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, ErrorCode.UNKNOWN_TOPIC_ID],
      [3, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
  });

  it('a v13 session by id answers incrementally and forgets by id', async () => {
    const { b, client } = await brokerWithTopic('sid', 2);
    const topicId = b.broker.registry.topic('sid')!.record.topicId;
    const id = (await fetch(client, 15, body(topicId, [{ partition: 0 }, { partition: 1 }], { sessionId: 0, sessionEpoch: 0 }, true))).sessionId;
    expect(id).not.toBe(0);
    await produce(b, 'sid', 1, ['x']);
    const inc = await fetch(client, 15, body(topicId, [], { sessionId: id, sessionEpoch: 1 }, true));
    expect(answered(inc)).toEqual([`${topicId}-1`]);
    const forgot = await fetch(client, 15, body(topicId, [], { sessionId: id, sessionEpoch: 2, topics: [], forgottenTopicsData: [{ topic: '', topicId, partitions: [1] }] }, true));
    expect(forgot.errorCode).toBe(ErrorCode.NONE);
    await produce(b, 'sid', 1, ['y']);
    expect(answered(await fetch(client, 15, body(topicId, [], { sessionId: id, sessionEpoch: 3 }, true)))).toEqual([]);
    // A v12 request on this session of ids is refused.
    expect((await fetch(client, 12, body('sid', [], { sessionId: id, sessionEpoch: 4 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  });
});

describe('diverging epoch (KIP-320, v12+)', () => {
  it('answers diverging_epoch and no records when the last fetched epoch ends below the fetch offset here', async () => {
    const { b, client } = await brokerWithTopic('dv', 1);
    await produce(b, 'dv', 0, ['a', 'b', 'c', 'd', 'e']);
    const one = async (fetchOffset: number, lastFetchedEpoch: number) => (await fetch(client, 12, body('dv', [{ partition: 0, fetchOffset, lastFetchedEpoch }]))).responses[0]!.partitions[0]!;
    // A single broker writes epoch 0: a consumer that read it fetches on as usual.
    expect(await one(5, 0)).toMatchObject({ errorCode: ErrorCode.NONE, divergingEpoch: { epoch: -1, endOffset: -1 }, highWatermark: 5 });
    // Epoch history 0@0, 2@5: epoch 0 ends at 5; epoch 1 never led here.
    await b.broker.registry.partition('dv', 0)!.startLeaderEpoch(2);

    // A client that read offsets up to 6 in epoch 0 from a leader whose log was cut at 5.
    const diverged = await one(7, 0);
    expect(diverged).toMatchObject({ errorCode: ErrorCode.NONE, divergingEpoch: { epoch: 0, endOffset: 5 }, highWatermark: 5 });
    expect(diverged.records?.byteLength ?? 0).toBe(0);
    // Epoch 1 is unknown here: the largest older one (0) and its end.
    expect((await one(4, 1)).divergingEpoch).toEqual({ epoch: 0, endOffset: 5, unknownTaggedFields: undefined });
    // Consistent history: records, no divergence.
    const fine = await one(3, 0);
    expect(fine.divergingEpoch.epoch).toBe(-1);
    // The whole batch holding offset 3 (the client skips what it read).
    expect(valuesOf(fine.records).filter((r) => r.offset >= 3).map((r) => r.value)).toEqual(['d', 'e']);
    // An epoch newer than any here: OFFSET_OUT_OF_RANGE, as Kafka.
    expect((await one(3, 9)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});

describe('node endpoints (KIP-951, v16+)', () => {
  it('lists the leader a NOT_LEADER_OR_FOLLOWER answer names, from the cluster view', async () => {
    const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const view = buildClusterView({
      revision: 1,
      controllerId: 2,
      brokers: [{ nodeId: 1, port: 9091 }, { nodeId: 2, host: 'b2.example', port: 9092, rack: 'r2' }],
      topics: [{ name: 't', topicId, partitions: [{ leader: 1, leaderEpoch: 3, replicas: [1, 2], isr: [1] }, { leader: 2, leaderEpoch: 5, replicas: [2, 1], isr: [2] }] }],
    });
    const clock = new ManualClock();
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', 'node.id=1'] });
    clusterBroker = await Broker.open({ config, fs: new MemoryFileSystem({ clock, metadataDurability: 'immediate' }), clock, random: createRandom(0), cluster: new FakeClusterLink(1, view) });
    await clusterBroker.settled();
    const listener = await clusterBroker.listen(transport);
    const client = new Client(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    const res = await fetch(client, 16, body(topicId, [{ partition: 0 }, { partition: 1 }], {}, true));
    const [p0, p1] = res.responses[0]!.partitions;
    expect(p0!.errorCode).toBe(ErrorCode.NONE);
    expect([p1!.errorCode, p1!.currentLeader.leaderId, p1!.currentLeader.leaderEpoch]).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, 2, 5]);
    expect(res.nodeEndpoints.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: n.rack }))).toEqual([{ nodeId: 2, host: 'b2.example', port: 9092, rack: 'r2' }]);
    // v15 has no such field; the leader still comes in currentLeader.
    expect((await fetch(client, 15, body(topicId, [{ partition: 1 }], {}, true))).nodeEndpoints).toEqual([]);
  });
});
