/**
 * AlterConfigs (key 33), versions 0-2 — the legacy, non-incremental form: the given set
 * REPLACES all overrides of the resource (keys not named return to their defaults).
 *
 * Topic resources: any topic config (validated: unknown name or bad value →
 * INVALID_CONFIG). Broker resources (this node's id or ""): only dynamic broker configs
 * (e.g. log.retention.ms, message.max.bytes); read-only ones → INVALID_CONFIG. Changes are
 * persisted in the metadata file and applied to open partitions at once (max message
 * size, timestamp type). validate_only checks and changes nothing.
 */
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec, ErrorCode } from '@samsa/codec';
import type { AlterConfigsRequest, AlterConfigsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { isThisBroker, ResourceType, validateConfigSet } from '../config/config-resources.ts';
import { defineHandler } from './api-handler.ts';

/** The resolved override set of one resource, or why it cannot be applied. */
export type ConfigSetOutcome = { readonly ok: Record<string, string> } | { readonly errorCode: number; readonly errorMessage: string };

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
): Promise<Array<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }>> {
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

async function handleAlterConfigs(ctx: BrokerContext, req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const responses = await alterEachResource(ctx, req.resources, req.validateOnly, (r) => {
    const checked = validateConfigSet(r.resourceType, r.configs);
    return 'error' in checked ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: checked.error } : { ok: checked.ok };
  });
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
