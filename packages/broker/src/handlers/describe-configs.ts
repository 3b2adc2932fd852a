/**
 * DescribeConfigs (key 32), versions 0-4.
 *
 * Topic resources (type 2): every topic config with its effective value and source —
 * TOPIC_CONFIG for overrides, then DYNAMIC_BROKER_CONFIG, STATIC_BROKER_CONFIG
 * (server.properties / overrides) or DEFAULT_CONFIG (Kafka's default). Broker resources
 * (type 4, named by this node's id or "" for the default): every broker config; only
 * the dynamically alterable ones are not read-only. `configuration_keys` filters (null =
 * all); synonyms (v1+) when asked; config types (v3+); no documentation.
 * Unknown topic → UNKNOWN_TOPIC_OR_PARTITION; another broker id or resource type →
 * INVALID_REQUEST.
 *
 * Cluster mode (`ctx.cluster`): topics and their overrides come from the current view
 * (every topic of the cluster, not only those with a replica here), and the dynamic
 * broker configs are this node's overrides from the view (DYNAMIC_BROKER_CONFIG) over the
 * view's cluster-wide defaults (DYNAMIC_DEFAULT_BROKER_CONFIG), over server.properties
 * (AlterConfigs on any broker reaches all through the metadata store). The broker resource
 * "" describes, as Kafka's `--entity-default`, only the cluster-wide defaults that are set.
 */
import { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeConfigsRequest, DescribeConfigsResponse, DescribeConfigsResponseDescribeConfigsResult } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { brokerOverridesOf, clusterDefaultsOf } from '../cluster/controller-client-handlers.ts';
import { brokerConfigEntries, clusterDefaultConfigEntries, isThisBroker, ResourceType, topicConfigEntries } from '../config/config-resources.ts';
import { CONFIG_DESCRIBE_TYPE, ConfigSource } from '../config/config-types.ts';
import type { ResolvedConfig } from '../config/topic-config.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

function entry(r: ResolvedConfig, v: number, includeSynonyms: boolean) {
  return {
    name: r.name,
    value: r.sensitive ? null : r.value,
    readOnly: r.readOnly,
    isDefault: v === 0 ? r.source === ConfigSource.DEFAULT_CONFIG : false,
    configSource: r.source,
    isSensitive: r.sensitive,
    synonyms: v >= 1 && includeSynonyms ? r.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })) : [],
    configType: CONFIG_DESCRIBE_TYPE[r.type],
    documentation: null,
  };
}

/** A topic's overrides (the view's in a cluster), undefined when there is no such topic. */
function topicOverrides(ctx: BrokerContext, name: string): Readonly<Record<string, string>> | undefined {
  if (ctx.cluster === null) return ctx.registry.topic(name)?.record.configs;
  const view = ctx.cluster.view();
  return view.topics.has(name) ? (view.topicConfigs.get(name) ?? {}) : undefined;
}

function dynamicBrokerConfigs(ctx: BrokerContext): Readonly<Record<string, string>> {
  if (ctx.cluster === null) return ctx.registry.dynamicBrokerConfigs;
  return brokerOverridesOf(ctx.cluster.view(), ctx.nodeId);
}

/** The cluster-wide default broker configs (none on a single broker: its "" is its own overrides). */
function clusterDefaults(ctx: BrokerContext): Readonly<Record<string, string>> {
  return ctx.cluster === null ? {} : clusterDefaultsOf(ctx.cluster.view());
}

function describeOne(ctx: BrokerContext, res: DescribeConfigsRequest['resources'][number], v: number, includeSynonyms: boolean): DescribeConfigsResponseDescribeConfigsResult {
  const base = { resourceType: res.resourceType, resourceName: res.resourceName };
  let entries: ResolvedConfig[];
  if (res.resourceType === ResourceType.TOPIC) {
    const overrides = topicOverrides(ctx, res.resourceName);
    if (!overrides) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist.`, configs: [] };
    entries = topicConfigEntries(ctx.server, dynamicBrokerConfigs(ctx), overrides, clusterDefaults(ctx));
  } else if (res.resourceType === ResourceType.BROKER && res.resourceName === '' && ctx.cluster !== null) {
    entries = clusterDefaultConfigEntries(ctx.server, clusterDefaults(ctx));
  } else if (res.resourceType === ResourceType.BROKER && isThisBroker(res.resourceName, ctx.nodeId)) {
    entries = brokerConfigEntries(ctx.server, dynamicBrokerConfigs(ctx), clusterDefaults(ctx));
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource ${res.resourceType}/${res.resourceName}`, configs: [] };
  }
  const keys = res.configurationKeys;
  const wanted = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: wanted.map((e) => entry(e, v, includeSynonyms)) };
}

function handleDescribeConfigs(ctx: BrokerContext, req: DescribeConfigsRequest, info: RequestInfo): DescribeConfigsResponse {
  const v = info.apiVersion;
  return { throttleTimeMs: 0, results: req.resources.map((r) => describeOne(ctx, r, v, req.includeSynonyms)) };
}

export const describeConfigsHandler = defineHandler({
  apiKey: DescribeConfigsRequestCodec.meta.apiKey,
  name: DescribeConfigsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeConfigsRequestCodec,
  response: DescribeConfigsResponseCodec,
  handle: handleDescribeConfigs,
});
