/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Applies operations to a resource's current overrides: 0 SET, 1 DELETE (back to the
 * default), 2 APPEND and 3 SUBTRACT (list-typed configs such as cleanup.policy; on the
 * effective value). The resulting set is validated as a whole (INVALID_CONFIG naming the
 * key) and, unless validate_only, persisted and applied. The same key twice for one
 * resource, or an unknown operation → INVALID_REQUEST. Resources as AlterConfigs.
 *
 * In a cluster (`ctx.cluster` set) the current overrides and effective values come from
 * this broker's view (a broker's effective value counts the cluster-wide defaults below its
 * own overrides; the "" resource is those defaults), and only the keys the operations
 * change go to the controller (see alter-configs.ts, mode `incremental`).
 */
import { ErrorCode, IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from '@samsa/codec';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { brokerConfigEntries, ResourceType, topicConfigEntries, validateConfigSet } from '../config/config-resources.ts';
import { brokerOverridesOf, clusterDefaultsOf } from '../cluster/controller-client-handlers.ts';
import { alterEachResource, clusterOverridesOf, clusterResourceOf } from './alter-configs.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Resource = IncrementalAlterConfigsRequest['resources'][number];

function currentOverrides(ctx: BrokerContext, r: Resource): Record<string, string> {
  if (ctx.cluster) {
    const view = ctx.cluster.view();
    const found = clusterResourceOf(view, ctx.nodeId, r.resourceType, r.resourceName);
    return 'resource' in found ? { ...clusterOverridesOf(view, found.resource) } : {};
  }
  return { ...(r.resourceType === ResourceType.TOPIC ? ctx.registry.topic(r.resourceName)!.record.configs : ctx.registry.dynamicBrokerConfigs) };
}

function effectiveValue(ctx: BrokerContext, r: Resource, name: string): string | null {
  if (ctx.cluster) {
    const view = ctx.cluster.view();
    const found = clusterResourceOf(view, ctx.nodeId, r.resourceType, r.resourceName);
    if (!('resource' in found)) return null;
    const overrides = clusterOverridesOf(view, found.resource);
    const defaults = clusterDefaultsOf(view);
    const resource = found.resource;
    // Each resource's effective value: its overrides over the layers below (the cluster-wide defaults, then static).
    const entries =
      resource.type === 'topic'
        ? topicConfigEntries(ctx.server, brokerOverridesOf(view, ctx.nodeId), overrides, defaults)
        : resource.type === 'broker'
          ? brokerConfigEntries(ctx.server, overrides, defaults)
          : brokerConfigEntries(ctx.server, {}, overrides);
    return entries.find((e) => e.name === name)?.value ?? null;
  }
  const entries =
    r.resourceType === ResourceType.TOPIC
      ? topicConfigEntries(ctx.server, ctx.registry.dynamicBrokerConfigs, ctx.registry.topic(r.resourceName)!.record.configs)
      : brokerConfigEntries(ctx.server, ctx.registry.dynamicBrokerConfigs);
  return entries.find((e) => e.name === name)?.value ?? null;
}

/** Applies the operations; returns the new override set or an error. */
function apply(ctx: BrokerContext, r: Resource): { ok: Record<string, string> } | { errorCode: number; errorMessage: string } {
  const next = currentOverrides(ctx, r);
  const seen = new Set<string>();
  for (const c of r.configs) {
    if (seen.has(c.name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Duplicate config ${c.name} in the request.` };
    seen.add(c.name);
    const list = () => (effectiveValue(ctx, r, c.name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const items = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    switch (c.configOperation) {
      case SET:
        if (c.value === null) delete next[c.name];
        else next[c.name] = c.value;
        break;
      case DELETE:
        delete next[c.name];
        break;
      case APPEND:
        next[c.name] = [...new Set([...list(), ...items])].join(',');
        break;
      case SUBTRACT:
        next[c.name] = list().filter((x) => !items.includes(x)).join(',');
        break;
      default:
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.configOperation}` };
    }
  }
  const checked = validateConfigSet(r.resourceType, Object.entries(next).map(([name, value]) => ({ name, value })));
  return 'error' in checked ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: checked.error } : checked;
}

async function handleIncrementalAlterConfigs(ctx: BrokerContext, req: IncrementalAlterConfigsRequest, info: RequestInfo): Promise<IncrementalAlterConfigsResponse> {
  const responses = await alterEachResource(ctx, req.resources, req.validateOnly, (r) => apply(ctx, r), { info, mode: 'incremental' });
  return { throttleTimeMs: 0, responses };
}

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: IncrementalAlterConfigsRequestCodec.meta.apiKey,
  name: IncrementalAlterConfigsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 1,
  request: IncrementalAlterConfigsRequestCodec,
  response: IncrementalAlterConfigsResponseCodec,
  handle: handleIncrementalAlterConfigs,
});
