/**
 * AlterConfigs (key 33), versions 0-2 — the legacy, non-incremental form: the given set
 * REPLACES all overrides of the resource (keys not named return to their defaults).
 *
 * Topic resources: any topic config (validated: unknown name or bad value →
 * INVALID_CONFIG). Broker resources (this node's id or ""): only dynamic broker configs
 * (e.g. log.retention.ms, message.max.bytes); read-only ones → INVALID_CONFIG. Changes are
 * persisted in the metadata file and applied to open partitions at once (max message
 * size, timestamp type). validate_only checks and changes nothing.
 *
 * In a cluster (`ctx.cluster` set) resources are checked against this broker's view: a
 * topic that exists there, a broker named by the id of a registered broker (or of this
 * one), or "" for the cluster-wide default broker configs (`broker-default`: every broker's,
 * below its own per-broker overrides). The validated set goes to the controller (ctx.cluster.controller, local or
 * forwarded): AlterConfigs as `replace`, IncrementalAlterConfigs as the keys it changes
 * (`incremental`, null = back to the default); the controller's compare-and-set refuses a
 * change based on a stale view (REQUEST_TIMED_OUT, retriable). The answer waits (at most
 * VIEW_WAIT_MS_DEFAULT) until this broker's view shows the change, else REQUEST_TIMED_OUT.
 * A forwarded request at a broker that is not the controller → NOT_CONTROLLER.
 * One that reaches the controller is answered as soon as the controller replied: the
 * forwarding broker does the waiting, for its own view.
 */
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec, ErrorCode } from '@samsa/codec';
import type { AlterConfigsRequest, AlterConfigsResponse } from '@samsa/codec';
import type { ConfigResource } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { clusterDefaultsOf, refuseForwarded, replyError } from '../cluster/controller-client-handlers.ts';
import { notSeenMessage, VIEW_WAIT_MS_DEFAULT, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { isThisBroker, ResourceType, validateConfigSet } from '../config/config-resources.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

/** The resolved override set of one resource, or why it cannot be applied. */
export type ConfigSetOutcome = { readonly ok: Record<string, string> } | { readonly errorCode: number; readonly errorMessage: string };

/** How the new override set is handed to the controller in a cluster (see the file comment). */
export interface AlterRequestInfo {
  readonly info: RequestInfo;
  readonly mode: 'replace' | 'incremental';
}

type ResourceResponse = { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null };

/**
 * The loop both AlterConfigs forms share: for each resource, check that it exists and may
 * be altered, resolve its new override set (`resolve`: the legacy form validates the given
 * set; the incremental one applies set/delete/append/subtract to the current overrides),
 * then, unless `validateOnly`, write it. One response per resource, in request order.
 */
export async function alterEachResource<R extends { readonly resourceType: number; readonly resourceName: string }>(
  ctx: BrokerContext,
  resources: readonly R[],
  validateOnly: boolean,
  resolve: (resource: R) => ConfigSetOutcome,
  request: AlterRequestInfo,
): Promise<ResourceResponse[]> {
  if (ctx.cluster) return alterEachInCluster(ctx, ctx.cluster, resources, validateOnly, resolve, request);
  const responses = [];
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const problem = resourceProblem(ctx, r.resourceType, r.resourceName);
    if (problem) {
      responses.push({ ...base, ...problem });
      continue;
    }
    const outcome = resolve(r);
    if (!('ok' in outcome)) {
      responses.push({ ...base, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
      continue;
    }
    if (validateOnly) {
      responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      continue;
    }
    const result = r.resourceType === ResourceType.TOPIC ? await ctx.registry.setTopicConfigs(r.resourceName, outcome.ok) : await ctx.registry.setDynamicBrokerConfigs(outcome.ok);
    responses.push({ ...base, errorCode: result.errorCode, errorMessage: result.errorMessage });
  }
  return responses;
}

/** Checks that the resource exists and may be altered; returns an error or null. */
function resourceProblem(ctx: BrokerContext, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.TOPIC) {
    return ctx.registry.topic(resourceName) ? null : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist.` };
  }
  if (resourceType === ResourceType.BROKER && isThisBroker(resourceName, ctx.nodeId)) return null;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource ${resourceType}/${resourceName}` };
}

// ---- cluster mode ------------------------------------------------------------------

/** A resource as the controller names it, or why this broker refuses it. */
export function clusterResourceOf(view: ClusterView, nodeId: number, resourceType: number, resourceName: string): { resource: ConfigResource } | { errorCode: number; errorMessage: string } {
  if (resourceType === ResourceType.TOPIC) {
    return view.topics.has(resourceName) ? { resource: { type: 'topic', name: resourceName } } : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist.` };
  }
  if (resourceType === ResourceType.BROKER) {
    if (resourceName === '') return { resource: { type: 'broker-default' } };
    const id = /^[0-9]{1,10}$/.test(resourceName) ? Number(resourceName) : -1;
    if (id === nodeId || view.brokers.has(id)) return { resource: { type: 'broker', brokerId: id } };
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker ${resourceName} is not a registered broker of this cluster.` };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource ${resourceType}/${resourceName}` };
}

/** The overrides the view holds for `resource` (empty when none). */
export function clusterOverridesOf(view: ClusterView, resource: ConfigResource): Readonly<Record<string, string>> {
  if (resource.type === 'broker-default') return clusterDefaultsOf(view);
  return (resource.type === 'topic' ? view.topicConfigs.get(resource.name) : view.brokerConfigs.get(resource.brokerId)) ?? {};
}

/** The keys whose value differs between `current` and `next` (null: removed). */
function changedKeys(current: Readonly<Record<string, string>>, next: Readonly<Record<string, string>>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(next)) if (current[k] !== v) out[k] = v;
  for (const k of Object.keys(current)) if (!(k in next)) out[k] = null;
  return out;
}

async function alterEachInCluster<R extends { readonly resourceType: number; readonly resourceName: string }>(
  ctx: BrokerContext,
  cluster: ClusterLink,
  resources: readonly R[],
  validateOnly: boolean,
  resolve: (resource: R) => ConfigSetOutcome,
  request: AlterRequestInfo,
): Promise<ResourceResponse[]> {
  const responses: ResourceResponse[] = [];
  for (const r of resources) {
    const answer = (e: { errorCode: number; errorMessage: string | null }) => responses.push({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: e.errorCode, errorMessage: e.errorMessage });
    // First, before any judgement from a view that may be stale: a forward goes no further.
    const refused = refuseForwarded(cluster, request.info);
    if (refused) {
      answer(refused);
      continue;
    }
    const found = clusterResourceOf(cluster.view(), ctx.nodeId, r.resourceType, r.resourceName);
    if (!('resource' in found)) {
      answer(found);
      continue;
    }
    const outcome = resolve(r);
    if (!('ok' in outcome)) {
      answer(outcome);
      continue;
    }
    if (validateOnly) {
      answer({ errorCode: ErrorCode.NONE, errorMessage: null });
      continue;
    }
    const next = outcome.ok;
    const resource = found.resource;
    const changes = request.mode === 'replace' ? next : changedKeys(clusterOverridesOf(cluster.view(), resource), next);
    if (request.mode === 'incremental' && Object.keys(changes).length === 0) {
      answer({ errorCode: ErrorCode.NONE, errorMessage: null });
      continue;
    }
    const reply = await cluster.controller.alterConfigs({ resource, mode: request.mode, configs: changes });
    if (!reply.ok) {
      answer(replyError(reply));
      continue;
    }
    const shows = (view: ClusterView): boolean => {
      const now = clusterOverridesOf(view, resource);
      if (request.mode === 'replace') return Object.keys(now).length === Object.keys(next).length && Object.entries(next).every(([k, v]) => now[k] === v);
      return Object.entries(changes).every(([k, v]) => (v === null ? !(k in now) : now[k] === v));
    };
    const waitMs = viewWaitMs(request.info, VIEW_WAIT_MS_DEFAULT);
    const seen = await waitForView(cluster, ctx.clock, shows, waitMs);
    answer(seen || waitMs === 0 ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: notSeenMessage(`configs of ${r.resourceName} altered`, waitMs) });
  }
  return responses;
}

async function handleAlterConfigs(ctx: BrokerContext, req: AlterConfigsRequest, info: RequestInfo): Promise<AlterConfigsResponse> {
  const resolve = (r: AlterConfigsRequest['resources'][number]): ConfigSetOutcome => {
    const checked = validateConfigSet(r.resourceType, r.configs);
    return 'error' in checked ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: checked.error } : { ok: checked.ok };
  };
  const responses = await alterEachResource(ctx, req.resources, req.validateOnly, resolve, { info, mode: 'replace' });
  return { throttleTimeMs: 0, responses };
}

export const alterConfigsHandler = defineHandler({
  apiKey: AlterConfigsRequestCodec.meta.apiKey,
  name: AlterConfigsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequestCodec,
  response: AlterConfigsResponseCodec,
  handle: handleAlterConfigs,
});
