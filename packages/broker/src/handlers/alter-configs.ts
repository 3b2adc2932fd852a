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
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec } from '@samsa/codec';
import type { AlterConfigsRequest, AlterConfigsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { isThisBroker, ResourceType, validateConfigSet } from '../config/config-resources.ts';
import { Err } from '../kafka-errors.ts';
import { defineHandler } from './api-handler.ts';

/** Writes a validated override set to a resource; shared with IncrementalAlterConfigs. */
export async function applyConfigSet(ctx: BrokerContext, resourceType: number, resourceName: string, configs: Record<string, string>) {
  const result = resourceType === ResourceType.TOPIC ? await ctx.registry.setTopicConfigs(resourceName, configs) : await ctx.registry.setDynamicBrokerConfigs(configs);
  return { errorCode: result.errorCode, errorMessage: result.errorMessage };
}

/** Checks that the resource exists and may be altered; returns an error or null. */
export function resourceProblem(ctx: BrokerContext, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.TOPIC) {
    return ctx.registry.topic(resourceName) ? null : { errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist.` };
  }
  if (resourceType === ResourceType.BROKER && isThisBroker(resourceName, ctx.nodeId)) return null;
  return { errorCode: Err.INVALID_REQUEST, errorMessage: `Unsupported resource ${resourceType}/${resourceName}` };
}

async function handleAlterConfigs(ctx: BrokerContext, req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const responses = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const problem = resourceProblem(ctx, r.resourceType, r.resourceName);
    if (problem) {
      responses.push({ ...base, ...problem });
      continue;
    }
    const checked = validateConfigSet(r.resourceType, r.configs);
    if ('error' in checked) {
      responses.push({ ...base, errorCode: Err.INVALID_CONFIG, errorMessage: checked.error });
      continue;
    }
    if (req.validateOnly) {
      responses.push({ ...base, errorCode: Err.NONE, errorMessage: null });
      continue;
    }
    responses.push({ ...base, ...(await applyConfigSet(ctx, r.resourceType, r.resourceName, checked.ok)) });
  }
  return { throttleTimeMs: 0, responses };
}

export const alterConfigsHandler = defineHandler({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequestCodec,
  response: AlterConfigsResponseCodec,
  handle: handleAlterConfigs,
});
