// The replication admin handlers of issue 14 (ElectLeaders, AlterPartitionReassignments,
// ListPartitionReassignments, AlterPartition) on a hand-made context: what they ask the
// controller, how its replies and refusals map to Kafka's fields per version, the wait for
// this broker's view (bounded by the request timeout), and a forwarded request at a broker
// that is not the controller refused without asking it.
import { ErrorCode } from '@samsa/codec';
import type { ControllerReply } from '@samsa/coordinator';
import { ManualClock } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../broker-context.ts';
import { buildClusterView, FakeClusterLink } from '../testing/fake-cluster-link.ts';
import type { ApiHandler, RequestInfo } from './api-handler.ts';
import { alterPartitionHandler } from './alter-partition.ts';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.ts';
import { electLeadersHandler } from './elect-leaders.ts';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** Polls `cond` (the handler runs on microtasks and its view waiter), at most 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`until: ${what} did not happen within 5 s`);
}
const view = (revision: number, leader: number, replicas = [1, 2]) =>
  buildClusterView({ revision, brokers: [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 3 }], topics: [{ name: 't', topicId: ID, partitions: [{ leader, leaderEpoch: revision, replicas }, { leader: 2, replicas: [2, 1] }] }] });

function setup(reply: ControllerReply) {
  const link = new FakeClusterLink(1, view(1, 2));
  link.controller.reply = () => reply;
  const clock = new ManualClock();
  const ctx = { cluster: link, clock } as unknown as BrokerContext;
  const call = <Res>(h: ApiHandler, body: unknown, apiVersion: number, clientId = 'admin'): Promise<Res> => h.handle(ctx, body, { apiVersion, clientId, correlationId: 1, peer: 'test' } satisfies RequestInfo) as Promise<Res>;
  return { link, clock, call };
}

describe('ElectLeaders handler', () => {
  it('asks the controller, then answers once the view shows the preferred leader', async () => {
    const { link, call } = setup({ ok: true, partitions: [{ topic: 't', partition: 0, error: null, message: null }, { topic: 't', partition: 1, error: 'ELECTION_NOT_NEEDED', message: null }] });
    let answered = false;
    const pending = call<{ errorCode: number; replicaElectionResults: unknown[] }>(electLeadersHandler, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1] }], timeoutMs: 30_000 }, 2).then((r) => ((answered = true), r));
    await until(() => link.controller.calls.length === 1, 'the controller asked');
    expect(link.controller.calls).toEqual([{ method: 'electLeaders', req: { type: 'preferred', partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] } }]);
    expect(answered).toBe(false);
    link.publish(view(2, 1));
    expect(await pending).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: [{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null }, { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null }] }],
    });
  });

  it('answers REQUEST_TIMED_OUT for an election the view does not show by the deadline', async () => {
    const { link, clock, call } = setup({ ok: true, partitions: [{ topic: 't', partition: 0, error: null, message: null }] });
    const pending = call<{ replicaElectionResults: { partitionResult: { errorCode: number }[] }[] }>(electLeadersHandler, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 }, 1);
    let done = false;
    void pending.then(() => (done = true));
    // The manual clock moves until the answer comes (the waiter's timer may start a little after the reply).
    await until(() => (clock.advance(1000), done), 'the answer at the deadline');
    expect(link.controller.calls).toHaveLength(1);
    expect((await pending).replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
  });

  it('maps a controller refusal to every partition asked, or to the top-level error (v1+) for all partitions', async () => {
    const { call } = setup({ ok: false, code: 'NOT_CONTROLLER', message: 'moved' });
    const some = await call<{ replicaElectionResults: unknown }>(electLeadersHandler, { electionType: 1, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 0 }, 2);
    expect(some.replicaElectionResults).toEqual([{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'moved' }] }]);
    expect(await call(electLeadersHandler, { electionType: 1, topicPartitions: null, timeoutMs: 0 }, 1)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, replicaElectionResults: [] });
    expect(await call(electLeadersHandler, { electionType: 1, topicPartitions: null, timeoutMs: 0 }, 0)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [] });
    expect(await call(electLeadersHandler, { electionType: 7, topicPartitions: null, timeoutMs: 0 }, 2)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
  });

  it('refuses a forwarded request at a broker that is not the controller, without asking it', async () => {
    const { link, call } = setup({ ok: true, partitions: [] });
    const r = await call<{ replicaElectionResults: { partitionResult: { errorCode: number }[] }[] }>(electLeadersHandler, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 0 }, 2, 'samsa-forward-3');
    expect(r.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(link.controller.calls).toEqual([]);
  });
});

describe('partition reassignment handlers', () => {
  it('AlterPartitionReassignments: targets and cancels go to the controller; answered once the view shows the targets', async () => {
    const { link, call } = setup({ ok: true, partitions: [{ topic: 't', partition: 0, error: null, message: null }, { topic: 't', partition: 1, error: 'NO_REASSIGNMENT_IN_PROGRESS', message: 'none' }] });
    const pending = call<{ errorCode: number; responses: unknown }>(alterPartitionReassignmentsHandler, { timeoutMs: 30_000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [2, 3] }, { partitionIndex: 1, replicas: null }] }] }, 0);
    await until(() => link.controller.calls.length === 1, 'the controller asked');
    expect(link.controller.calls).toEqual([{ method: 'reassignPartitions', req: { partitions: [{ topic: 't', partition: 0, replicas: [2, 3] }, { topic: 't', partition: 1, replicas: null }] } }]);
    link.publish(view(2, 2, [2, 3, 1]));
    expect(await pending).toMatchObject({
      errorCode: ErrorCode.NONE,
      responses: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 1, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'none' }] }],
    });
  });

  it('ListPartitionReassignments groups the moving partitions by topic; a refusal is the top-level error', async () => {
    const { call } = setup({ ok: true, reassignments: [{ topic: 't', partition: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }] });
    expect(await call(listPartitionReassignmentsHandler, { timeoutMs: 0, topics: null }, 0)).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }] }],
    });
    const refused = setup({ ok: false, code: 'NOT_CONTROLLER', message: 'no controller' });
    expect(await refused.call(listPartitionReassignmentsHandler, { timeoutMs: 0, topics: null }, 0)).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'no controller', topics: [] });
  });
});

describe('AlterPartition handler', () => {
  const body = (topicName: string, topicId: string) => ({
    brokerId: 2,
    brokerEpoch: -1,
    topics: [{ topicName, topicId, partitions: [{ partitionIndex: 1, leaderEpoch: 0, newIsr: [2], newIsrWithEpochs: [{ brokerId: 2, brokerEpoch: 5 }], leaderRecoveryState: 0, partitionEpoch: 3 }] }],
  });

  it('resolves the topic by name (v0-1) or id (v2+), proposes for the request broker, and answers the new state', async () => {
    const { link, call } = setup({ ok: true, partition: { leader: 2, leaderEpoch: 0, isr: [2], partitionEpoch: 4 } });
    const byName = await call<{ topics: unknown }>(alterPartitionHandler, body('t', 'AAAAAAAAAAAAAAAAAAAAAA'), 1);
    expect(byName.topics).toEqual([{ topicName: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 1, errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 0, isr: [2], leaderRecoveryState: 0, partitionEpoch: 4 }] }]);
    const byId = await call<{ topics: { topicName: string; topicId: string }[] }>(alterPartitionHandler, body('', ID), 3);
    expect(byId.topics[0]).toMatchObject({ topicName: '', topicId: ID });
    const asked = { method: 'alterPartition', req: { topic: 't', topicId: ID, partition: 1, leaderId: 2, leaderEpoch: 0, partitionEpoch: 3, newIsr: [2] } };
    // v3 also passes the members' broker epochs (KIP-903) for the controller to check.
    expect(link.controller.calls).toEqual([asked, { ...asked, req: { ...asked.req, newIsrBrokerEpochs: [5] } }]);
  });

  it("answers the controller's error per partition, and an unknown topic id without asking it", async () => {
    const { link, call } = setup({ ok: false, code: 'INVALID_UPDATE_VERSION', message: 'stale' });
    const stale = await call<{ topics: { partitions: { errorCode: number }[] }[] }>(alterPartitionHandler, body('t', 'AAAAAAAAAAAAAAAAAAAAAA'), 0);
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    const unknown = await call<{ topics: { partitions: { errorCode: number }[] }[] }>(alterPartitionHandler, body('', 'AAAAAAAAAAAAAAAAAAAAAg'), 2);
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(link.controller.calls).toHaveLength(1);
    expect(await call(alterPartitionHandler, body('t', ''), 2, 'samsa-forward-2')).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, topics: [] });
  });
});
