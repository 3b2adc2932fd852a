/**
 * AlterPartition (key 56), versions 0-3: a partition leader proposes a new ISR to the
 * controller (KIP-497; issue 14). Cluster mode only (in the cluster handler table).
 *
 * Each partition goes to the controller (`ctx.cluster.controller.alterPartition`: this
 * broker's own controller when it is the active one, else forwarded), which accepts it as
 * a compare-and-set (partition epoch + 1) or answers Kafka's errors: FENCED_LEADER_EPOCH,
 * INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID…
 * The proposer is the request's `brokerId`. v0-1 name topics, v2+ give topic ids (this
 * broker's view maps one to the other; an id it does not know → UNKNOWN_TOPIC_ID); v3's
 * `newIsrWithEpochs` gives the ISR with broker epochs (KIP-903): a member whose
 * registration has another epoch (it restarted) is INELIGIBLE_REPLICA, -1 is not checked
 * (the controller also refuses added members that are fenced or shutting down). The
 * answer carries the partition's new state; no view wait (the leader acts on the reply).
 * A forwarded request at a broker that is not the controller → NOT_CONTROLLER.
 */
import { AlterPartitionRequestCodec, AlterPartitionResponseCodec, ErrorCode, ZERO_UUID } from '@samsa/codec';
import type { AlterPartitionRequest, AlterPartitionResponse, AlterPartitionResponsePartitionData } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { refuseForwarded } from '../cluster/controller-client-handlers.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleAlterPartition(ctx: BrokerContext, req: AlterPartitionRequest, info: RequestInfo): Promise<AlterPartitionResponse> {
  const cluster = ctx.cluster;
  const refused = cluster ? refuseForwarded(cluster, info) : { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null };
  if (!cluster || refused) return { throttleTimeMs: 0, errorCode: refused!.errorCode, topics: [] };
  const view = cluster.view();
  const byId = info.apiVersion >= 2;
  const topics: AlterPartitionResponse['topics'] = [];
  for (const t of req.topics) {
    const known = byId ? view.topicsById.get(t.topicId) : view.topics.get(t.topicName);
    const partitions: AlterPartitionResponsePartitionData[] = [];
    for (const p of t.partitions) {
      const answer = (errorCode: number, s?: { leader: number; leaderEpoch: number; isr: readonly number[]; partitionEpoch: number }): void =>
        void partitions.push({ partitionIndex: p.partitionIndex, errorCode, leaderId: s?.leader ?? 0, leaderEpoch: s?.leaderEpoch ?? 0, isr: s ? [...s.isr] : [], leaderRecoveryState: 0, partitionEpoch: s?.partitionEpoch ?? 0 });
      if (!known) {
        answer(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const v3 = info.apiVersion >= 3;
      const newIsr = v3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr;
      const reply = await cluster.controller.alterPartition({
        topic: known.name,
        topicId: known.topicId,
        partition: p.partitionIndex,
        leaderId: req.brokerId,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        newIsr,
        ...(v3 ? { newIsrBrokerEpochs: p.newIsrWithEpochs.map((b) => b.brokerEpoch) } : {}),
      });
      if (!reply.ok) answer(ErrorCode[reply.code]);
      else if (reply.partition) answer(ErrorCode.NONE, reply.partition);
      else answer(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    // v0-1 answer by name, v2+ by id (the field a version lacks stays at its default).
    topics.push({ topicName: byId ? '' : t.topicName, topicId: byId ? t.topicId : ZERO_UUID, partitions });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics };
}

export const alterPartitionHandler = defineHandler({
  apiKey: AlterPartitionRequestCodec.meta.apiKey,
  name: AlterPartitionRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 3,
  request: AlterPartitionRequestCodec,
  response: AlterPartitionResponseCodec,
  handle: handleAlterPartition,
});
