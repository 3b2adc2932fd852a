/**
 * CreateTopics (key 19), versions 0-7.
 *
 * Per topic, first failure wins:
 *   - the same name twice in one request         → INVALID_REQUEST (for every copy)
 *   - illegal name                                → INVALID_TOPIC_EXCEPTION
 *   - reserved (__consumer_offsets, __samsa*)     → INVALID_REQUEST
 *   - exists                                      → TOPIC_ALREADY_EXISTS
 *   - partitions < 1 (or -1 = num.partitions, v4+) → INVALID_PARTITIONS
 *   - replication factor ≠ 1 (-1 = default)       → INVALID_REPLICATION_FACTOR
 *   - manual assignment not [[this node], ...]    → INVALID_REPLICA_ASSIGNMENT
 *   - unknown config / bad value                  → INVALID_CONFIG (message names it)
 *   - log dir low on space (free-space-guard.ts), or
 *     the logs or metadata cannot be written      → KAFKA_STORAGE_ERROR (nothing created)
 * validate_only checks everything and creates nothing. v5+ answers with the partition
 * count, replication factor and the resolved configs (with sources); v7+ with the topic
 * id (the zero uuid when validate-only or failed).
 *
 * In a cluster (`ctx.cluster` set) the controller decides (ctx.cluster.controller, local or
 * forwarded): the same name, reservation and config checks run here against this broker's
 * view (exists → TOPIC_ALREADY_EXISTS); counts and assignments are the controller's to
 * check against the live brokers (replication factor > 1 allowed, -1 = the controller's
 * defaults); no local free-space check (the replicas land on other brokers). After the
 * controller's ack the answer waits (at most `timeout_ms`, capped) until this broker's view
 * shows the topic with the new topic id, else REQUEST_TIMED_OUT (the topic still comes).
 * A forwarded request at a broker that is not the controller → NOT_CONTROLLER.
 * One that reaches the controller is answered as soon as the controller replied: the
 * forwarding broker does the waiting, for its own view.
 */
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, ZERO_UUID } from '@samsa/codec';
import type {
  CreateTopicsRequest,
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponse,
  CreateTopicsResponseCreatableTopicResult,
} from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { brokerOverridesOf, clusterDefaultsOf, refuseForwarded, replyError } from '../cluster/controller-client-handlers.ts';
import { isForwardedRequest } from '../cluster/controller-client.ts';
import { notSeenMessage, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { ConfigError } from '../config/config-types.ts';
import { resolveTopicConfigs, validateTopicConfig } from '../config/topic-config.ts';
import { collisionKey, INTERNAL_TOPICS, topicNameProblem } from '../topics/topic-name.ts';
import { PARTITIONS_PER_TOPIC_MAX } from '../topics/topic-registry.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

interface Planned {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Record<string, string>;
}

type PlanResult = { readonly ok: Planned } | { readonly errorCode: number; readonly errorMessage: string };

function plan(ctx: BrokerContext, t: CreateTopicsRequestCreatableTopic): PlanResult {
  let partitions = t.numPartitions === -1 ? ctx.server.numPartitions : t.numPartitions;
  let replicationFactor = t.replicationFactor === -1 ? ctx.server.defaultReplicationFactor : t.replicationFactor;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.' };
    }
    const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const bad = sorted.some((a, i) => a.partitionIndex !== i || a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId);
    if (bad) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Replica assignments must place partitions 0..n-1 on broker ${ctx.nodeId} only.` };
    partitions = sorted.length;
    replicationFactor = 1;
  }
  const check = ctx.registry.checkCreate(t.name, partitions, replicationFactor);
  if (check.errorCode !== ErrorCode.NONE) return { errorCode: check.errorCode, errorMessage: check.errorMessage ?? '' };
  const checked = validatedConfigs(t);
  if (!('configs' in checked)) return checked;
  const configs = checked.configs;
  return { ok: { partitions, replicationFactor, configs } };
}

/** The topic's configs, each checked (INVALID_CONFIG names the first bad one); null values are left out. */
function validatedConfigs(t: CreateTopicsRequestCreatableTopic): { readonly configs: Record<string, string> } | { readonly errorCode: number; readonly errorMessage: string } {
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    try {
      const value = validateTopicConfig(c.name, c.value);
      if (value !== null) configs[c.name] = value;
    } catch (e) {
      if (e instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: e.message };
      throw e;
    }
  }
  return { configs };
}

function result(name: string, v: number, fields: Partial<CreateTopicsResponseCreatableTopicResult>): CreateTopicsResponseCreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: v >= 5 ? [] : null,
    ...fields,
  };
}

/** Names given more than once in one request: every entry of such a name is refused (as Kafka). */
function repeatedNames(topics: readonly { readonly name: string }[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const t of topics) (seen.has(t.name) ? repeated : seen).add(t.name);
  return repeated;
}

function repeatedResult(name: string, v: number): CreateTopicsResponseCreatableTopicResult {
  return result(name, v, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains multiple entries for the topic ${name}` });
}

async function handleCreateTopics(ctx: BrokerContext, req: CreateTopicsRequest, info: RequestInfo): Promise<CreateTopicsResponse> {
  const v = info.apiVersion;
  const repeated = repeatedNames(req.topics);
  const topics: CreateTopicsResponseCreatableTopicResult[] = [];
  for (const t of req.topics) {
    if (repeated.has(t.name)) topics.push(repeatedResult(t.name, v));
    else topics.push(ctx.cluster ? await createInCluster(ctx, ctx.cluster, req, info, t) : await createHere(ctx, req, v, t));
  }
  return { throttleTimeMs: 0, topics };
}

/** The configs a CreateTopics v5+ answer lists for the new topic (null before v5). */
function createdConfigs(v: number, resolve: () => ReturnType<typeof resolveTopicConfigs>): CreateTopicsResponseCreatableTopicResult['configs'] {
  return v >= 5 ? resolve().map((r) => ({ name: r.name, value: r.value, readOnly: r.readOnly, configSource: r.source, isSensitive: r.sensitive })) : null;
}

/** One topic on a single broker: this broker's registry creates it. */
async function createHere(ctx: BrokerContext, req: CreateTopicsRequest, v: number, t: CreateTopicsRequestCreatableTopic): Promise<CreateTopicsResponseCreatableTopicResult> {
  const p = plan(ctx, t);
  if (!('ok' in p)) return result(t.name, v, { errorCode: p.errorCode, errorMessage: p.errorMessage });
  if (!req.validateOnly) {
    if (!(await ctx.freeSpace.admitsWrites())) return result(t.name, v, { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: ctx.freeSpace.refusalMessage() });
    const created = await ctx.registry.createTopic(t.name, p.ok.partitions, p.ok.configs);
    if (created.errorCode !== ErrorCode.NONE) return result(t.name, v, { errorCode: created.errorCode, errorMessage: created.errorMessage });
  }
  return result(t.name, v, {
    topicId: req.validateOnly ? ZERO_UUID : (ctx.registry.topic(t.name)?.record.topicId ?? ZERO_UUID),
    numPartitions: p.ok.partitions,
    replicationFactor: p.ok.replicationFactor,
    configs: createdConfigs(v, () => resolveTopicConfigs(ctx.server, ctx.registry.dynamicBrokerConfigs, p.ok.configs)),
  });
}

// ---- cluster mode ------------------------------------------------------------------

type ClusterPlan = { readonly ok: { readonly configs: Record<string, string>; readonly assignment: number[][] | null } } | { readonly errorCode: number; readonly errorMessage: string };

/** The checks this broker makes before the controller sees the topic (see the file comment). */
function planInCluster(view: ClusterView, t: CreateTopicsRequestCreatableTopic, forwarded: boolean): ClusterPlan {
  const problem = topicNameProblem(t.name);
  if (problem) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: problem };
  // A broker's own request for an internal topic (the group coordinator creating
  // `__consumer_offsets`) reaches the controller broker as a forward: allowed; a client's is not.
  if (!forwarded && (INTERNAL_TOPICS.has(t.name) || t.name.startsWith('__samsa'))) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Topic name ${t.name} is reserved for internal use` };
  if (view.topics.has(t.name)) return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${t.name}' already exists.` };
  const key = collisionKey(t.name);
  for (const existing of view.topics.keys()) {
    if (collisionKey(existing) === key) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic '${t.name}' collides with existing topic: ${existing}` };
  }
  let assignment: number[][] | null = null;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.' };
    }
    const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    if (sorted.some((a, i) => a.partitionIndex !== i)) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Replica assignments must name partitions 0..n-1, each once.' };
    if (sorted.length > PARTITIONS_PER_TOPIC_MAX) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.` };
    assignment = sorted.map((a) => [...a.brokerIds]);
  } else {
    if (t.numPartitions !== -1 && (!Number.isInteger(t.numPartitions) || t.numPartitions < 1)) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Number of partitions must be larger than 0.' };
    if (t.numPartitions > PARTITIONS_PER_TOPIC_MAX) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.` };
    if (t.replicationFactor !== -1 && t.replicationFactor < 1) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'Replication factor must be larger than 0.' };
  }
  const checked = validatedConfigs(t);
  if (!('configs' in checked)) return checked;
  const configs = checked.configs;
  return { ok: { configs, assignment } };
}

/** One topic in a cluster: the controller creates it; the answer waits until this broker's view shows it. */
async function createInCluster(ctx: BrokerContext, cluster: ClusterLink, req: CreateTopicsRequest, info: RequestInfo, t: CreateTopicsRequestCreatableTopic): Promise<CreateTopicsResponseCreatableTopicResult> {
  const v = info.apiVersion;
  // First, before any judgement from a view that may be stale: a forward goes no further.
  const refused = refuseForwarded(cluster, info);
  if (refused) return result(t.name, v, refused);
  const p = planInCluster(cluster.view(), t, isForwardedRequest(info.clientId));
  if (!('ok' in p)) return result(t.name, v, p);
  const configsOf = (view: ClusterView, overrides: Record<string, string>) => createdConfigs(v, () => resolveTopicConfigs(ctx.server, brokerOverridesOf(view, ctx.nodeId), overrides, clusterDefaultsOf(view)));
  if (req.validateOnly) {
    const partitions = p.ok.assignment ? p.ok.assignment.length : t.numPartitions === -1 ? ctx.server.numPartitions : t.numPartitions;
    const rf = p.ok.assignment ? (p.ok.assignment[0]?.length ?? -1) : t.replicationFactor === -1 ? ctx.server.defaultReplicationFactor : t.replicationFactor;
    return result(t.name, v, { numPartitions: partitions, replicationFactor: rf, configs: configsOf(cluster.view(), p.ok.configs) });
  }
  const reply = await cluster.controller.createTopic({
    name: t.name,
    ...(p.ok.assignment ? { assignment: p.ok.assignment } : { partitionCount: t.numPartitions, replicationFactor: t.replicationFactor }),
    configs: p.ok.configs,
  });
  if (!reply.ok || reply.topicId === undefined) {
    return result(t.name, v, reply.ok ? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller created the topic without a topic id.' } : replyError(reply));
  }
  const topicId = reply.topicId;
  const waitMs = viewWaitMs(info, req.timeoutMs);
  const seen = await waitForView(cluster, ctx.clock, (view) => view.topics.get(t.name)?.topicId === topicId, waitMs);
  const view = cluster.view();
  const shown = view.topics.get(t.name);
  if (!seen || !shown) {
    const late = waitMs > 0 ? { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: notSeenMessage(`topic ${t.name} created`, waitMs) } : {};
    return result(t.name, v, { topicId, ...late });
  }
  return result(t.name, v, {
    topicId,
    numPartitions: shown.partitions.length,
    replicationFactor: shown.partitions[0]?.replicas.length ?? -1,
    configs: configsOf(view, { ...(view.topicConfigs.get(t.name) ?? {}) }),
  });
}

export const createTopicsHandler = defineHandler({
  apiKey: CreateTopicsRequestCodec.meta.apiKey,
  name: CreateTopicsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 7,
  request: CreateTopicsRequestCodec,
  response: CreateTopicsResponseCodec,
  handle: handleCreateTopics,
});
