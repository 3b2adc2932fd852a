/**
 * ElectLeaders (key 43), versions 0-2 (issue 14). Cluster mode only (in the cluster
 * handler table).
 *
 * `electionType` 0 (preferred) moves each partition's leadership to its first replica when
 * that replica is live and in the ISR; 1 (unclean) elects a leader for a partition that has
 * none, from outside the ISR if need be (it may lose acknowledged records: an operator's
 * explicit choice, whatever `unclean.leader.election.enable` says). `topicPartitions` null
 * means every partition; the answer then lists only the partitions an election was tried
 * for. The controller decides (`ctx.cluster.controller.electLeaders`, local or forwarded)
 * and answers Kafka's per-partition errors: ELECTION_NOT_NEEDED,
 * PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION.
 * A partition elected is answered once this broker's view shows a leader (the preferred
 * one, for a preferred election), waiting at most `timeoutMs` (capped), else
 * REQUEST_TIMED_OUT (the election still holds). A controller refusal goes to every
 * partition asked (or to the top-level error, v1+, when all were asked). A forwarded
 * request at a broker that is not the controller → NOT_CONTROLLER; one that reaches the
 * controller is answered without waiting (the forwarding broker waits for its own view).
 */
import { ElectLeadersRequestCodec, ElectLeadersResponseCodec, ErrorCode } from '@samsa/codec';
import type { ElectLeadersRequest, ElectLeadersResponse } from '@samsa/codec';
import type { PartitionResult, TopicPartitionRef } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { refuseForwarded } from '../cluster/controller-client-handlers.ts';
import { ELECTION_PREFERRED, ELECTION_UNCLEAN, groupByTopic } from '../cluster/controller-client-messages.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { notSeenMessage, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleElectLeaders(ctx: BrokerContext, req: ElectLeadersRequest, info: RequestInfo): Promise<ElectLeadersResponse> {
  const cluster = ctx.cluster;
  const asked: TopicPartitionRef[] | null = req.topicPartitions === null ? null : req.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  const answer = (errorCode: number, results: readonly PartitionResult[]): ElectLeadersResponse => ({
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: [...groupByTopic(results)].map(([topic, ps]) => ({ topic, partitionResult: ps.map((p) => ({ partitionId: p.partition, errorCode: p.error === null ? ErrorCode.NONE : ErrorCode[p.error], errorMessage: p.message })) })),
  });
  const failAll = (code: PartitionResult['error'] & string, message: string | null): ElectLeadersResponse =>
    // v0 has no top-level error: a refusal of "all partitions" is then an empty answer.
    asked === null ? answer(info.apiVersion >= 1 ? ErrorCode[code] : ErrorCode.NONE, []) : answer(ErrorCode.NONE, asked.map((ref) => ({ ...ref, error: code, message })));
  if (req.electionType !== ELECTION_PREFERRED && req.electionType !== ELECTION_UNCLEAN) return failAll('INVALID_REQUEST', `Unknown election type ${req.electionType}.`);
  if (!cluster) return failAll('NOT_CONTROLLER', null);
  const refused = refuseForwarded(cluster, info);
  if (refused) return failAll('NOT_CONTROLLER', refused.errorMessage);
  const preferred = req.electionType === ELECTION_PREFERRED;
  const reply = await cluster.controller.electLeaders({ type: preferred ? 'preferred' : 'unclean', partitions: asked });
  if (!reply.ok) return failAll(reply.code, reply.message);
  const results = reply.partitions ?? [];
  const elected = results.filter((r) => r.error === null);
  const waitMs = viewWaitMs(info, req.timeoutMs);
  if (elected.length === 0 || waitMs === 0) return answer(ErrorCode.NONE, results);
  const shows = (view: ClusterView, r: TopicPartitionRef): boolean => {
    const p = view.topics.get(r.topic)?.partitions[r.partition];
    return p !== undefined && p.leader !== -1 && (!preferred || p.leader === p.replicas[0]);
  };
  const seen = await waitForView(cluster, ctx.clock, (view) => elected.every((r) => shows(view, r)), waitMs);
  if (seen) return answer(ErrorCode.NONE, results);
  const view = cluster.view();
  return answer(ErrorCode.NONE, results.map((r) => (r.error === null && !shows(view, r) ? { ...r, error: 'REQUEST_TIMED_OUT' as const, message: notSeenMessage(`the new leader of ${r.topic}-${r.partition}`, waitMs) } : r)));
}

export const electLeadersHandler = defineHandler({
  apiKey: ElectLeadersRequestCodec.meta.apiKey,
  name: ElectLeadersRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 2,
  request: ElectLeadersRequestCodec,
  response: ElectLeadersResponseCodec,
  handle: handleElectLeaders,
});
