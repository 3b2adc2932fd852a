/**
 * Config administration: describeConfigs (with synonyms and sources), incrementalAlterConfigs
 * (set / delete / append / subtract, KIP-339) and alterConfigs (the older whole-replacement form).
 *
 * Routing, as Kafka's AdminClient: a BROKER resource named by a broker id goes to that
 * broker (only it knows its dynamic and static configs); a TOPIC resource and the
 * cluster-wide broker default (name "") go to any broker for reads and to the controller
 * for writes. One request per target broker; each resource settles (and retries) alone.
 *
 * Wire numbers used here (Kafka's ConfigResource.Type, ConfigEntry.ConfigSource,
 * AlterConfigOp.OpType, ConfigDef.Type) are named by the tables below.
 */
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  DescribeConfigsRequestCodec,
  DescribeConfigsResponseCodec,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
} from '@samsa/codec/wire';
import type { DescribeConfigsResponseDescribeConfigsResult } from '@samsa/codec/wire';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { groupBy, outcomeOf } from './admin-context.ts';
import type { ItemOutcome } from './retry.ts';

const describeConfigsApi = { request: DescribeConfigsRequestCodec, response: DescribeConfigsResponseCodec };
const alterConfigsApi = { request: AlterConfigsRequestCodec, response: AlterConfigsResponseCodec };
const incrementalAlterConfigsApi = { request: IncrementalAlterConfigsRequestCodec, response: IncrementalAlterConfigsResponseCodec };

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger';
/** Kafka's ConfigResource.Type codes. */
export const CONFIG_RESOURCE_TYPE_CODES: Readonly<Record<ConfigResourceType, number>> = { topic: 2, broker: 4, 'broker-logger': 8 };

export type ConfigSourceName =
  | 'UNKNOWN'
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'DYNAMIC_BROKER_LOGGER_CONFIG'
  | 'CLIENT_METRICS_CONFIG'
  | 'GROUP_CONFIG';
/** Kafka's ConfigEntry.ConfigSource, indexed by wire code. */
export const CONFIG_SOURCE_NAMES: readonly ConfigSourceName[] = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG',
];

export type ConfigTypeName = 'UNKNOWN' | 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';
/** Kafka's DescribeConfigs config types (v3+), indexed by wire code. */
export const CONFIG_TYPE_NAMES: readonly ConfigTypeName[] = ['UNKNOWN', 'BOOLEAN', 'STRING', 'INT', 'SHORT', 'LONG', 'DOUBLE', 'LIST', 'CLASS', 'PASSWORD'];

export type AlterConfigOpType = 'set' | 'delete' | 'append' | 'subtract';
/** Kafka's AlterConfigOp.OpType codes. */
export const ALTER_CONFIG_OP_CODES: Readonly<Record<AlterConfigOpType, number>> = { set: 0, delete: 1, append: 2, subtract: 3 };

export interface ConfigResource {
  readonly type: ConfigResourceType;
  /** Topic name, or broker id as a string ("" for the cluster-wide broker default). */
  readonly name: string;
}

export interface DescribeConfigsResource extends ConfigResource {
  /** Only these keys; default every key. */
  readonly keys?: readonly string[];
}

export interface DescribeConfigsOptions extends AdminCallOptions {
  /** Default true. */
  readonly includeSynonyms?: boolean;
  /** Default false. */
  readonly includeDocumentation?: boolean;
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceName;
}

export interface ConfigEntry {
  readonly name: string;
  /** null for a sensitive value. */
  readonly value: string | null;
  readonly source: ConfigSourceName;
  readonly isDefault: boolean;
  readonly isReadOnly: boolean;
  readonly isSensitive: boolean;
  /** UNKNOWN before DescribeConfigs v3. */
  readonly type: ConfigTypeName;
  /** Where the value comes from, most specific first (empty unless asked, or before v1). */
  readonly synonyms: readonly ConfigSynonym[];
  readonly documentation: string | null;
}

export interface ConfigDescription extends ConfigResource {
  readonly entries: readonly ConfigEntry[];
}

export interface AlterConfigOp {
  readonly name: string;
  readonly op: AlterConfigOpType;
  /** Required for set/append/subtract (a list value is comma-separated). */
  readonly value?: string;
}

export interface IncrementalAlterConfigsResource extends ConfigResource {
  readonly ops: readonly AlterConfigOp[];
}

export interface AlterConfigsResource extends ConfigResource {
  /** The resource's complete set of overrides: keys left out go back to their defaults. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface AlterConfigsOptions extends AdminCallOptions {
  readonly validateOnly?: boolean;
}

const keyOf = (r: ConfigResource): string => `${r.type}:${r.name}`;

function resourceKey(resourceType: number, resourceName: string): string {
  const type = (Object.keys(CONFIG_RESOURCE_TYPE_CODES) as ConfigResourceType[]).find((t) => CONFIG_RESOURCE_TYPE_CODES[t] === resourceType);
  return `${type ?? resourceType}:${resourceName}`;
}

/** Node for one resource: a named broker, else any broker (reads) or the controller (writes). */
async function targetOf(ctx: AdminContext, r: ConfigResource, write: boolean, signal: AbortSignal | undefined): Promise<number> {
  if (r.type !== 'topic' && r.name !== '') {
    const id = Number(r.name);
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`a ${r.type} resource is named by a broker id, got '${r.name}'`);
    return ctx.routing.broker(id, signal);
  }
  return write ? ctx.routing.controller(signal) : ctx.routing.anyBroker(signal);
}

/** Resolves each resource's target broker, then runs `send` once per broker with its resources. */
async function perTarget<T extends ConfigResource, R>(
  ctx: AdminContext,
  pending: readonly string[],
  byKey: ReadonlyMap<string, T>,
  write: boolean,
  signal: AbortSignal | undefined,
  send: (nodeId: number, resources: readonly T[]) => Promise<Map<string, ItemOutcome<R>>>,
): Promise<Map<string, ItemOutcome<R>>> {
  const targets = await Promise.all(pending.map(async (k) => ({ resource: byKey.get(k)!, nodeId: await targetOf(ctx, byKey.get(k)!, write, signal) })));
  const out = new Map<string, ItemOutcome<R>>();
  await Promise.all(
    [...groupBy(targets, (t) => t.nodeId)].map(async ([nodeId, list]) => {
      for (const [k, v] of await send(nodeId, list.map((t) => t.resource))) out.set(k, v);
    }),
  );
  return out;
}

function byResourceKey<T extends ConfigResource>(resources: readonly T[], what: string): Map<string, T> {
  const byKey = new Map(resources.map((r) => [keyOf(r), r]));
  if (byKey.size !== resources.length) throw new RangeError(`${what}: a resource is named twice`);
  return byKey;
}

/** Each resource's configs, in the order asked. */
export async function describeConfigs(ctx: AdminContext, resources: readonly DescribeConfigsResource[], options: DescribeConfigsOptions = {}): Promise<ConfigDescription[]> {
  const byKey = byResourceKey(resources, 'describeConfigs');
  const done = await ctx.retrier.settleEach(
    [...byKey.keys()],
    (pending) =>
      perTarget(ctx, pending, byKey, false, options.signal, async (nodeId, list) => {
        const response = await ctx.routing.send(nodeId, describeConfigsApi, {
          resources: list.map((r) => ({ resourceType: CONFIG_RESOURCE_TYPE_CODES[r.type], resourceName: r.name, configurationKeys: r.keys === undefined ? null : [...r.keys] })),
          includeSynonyms: options.includeSynonyms ?? true,
          includeDocumentation: options.includeDocumentation ?? false,
        }, options);
        return new Map(response.results.map((res) => {
          const key = resourceKey(res.resourceType, res.resourceName);
          return [key, outcomeOf(res.errorCode, res.errorMessage, `config resource ${key}`, () => describedResource(byKey.get(key)!, res))];
        }));
      }),
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
  return resources.map((r) => done.get(keyOf(r))!);
}

function describedResource(r: ConfigResource, res: DescribeConfigsResponseDescribeConfigsResult): ConfigDescription {
  const entries = res.configs.map((c): ConfigEntry => ({
    name: c.name,
    value: c.value,
    // v0 has no source: isDefault is all it says.
    source: c.configSource >= 0 ? (CONFIG_SOURCE_NAMES[c.configSource] ?? 'UNKNOWN') : c.isDefault ? 'DEFAULT_CONFIG' : 'UNKNOWN',
    isDefault: c.isDefault || c.configSource === CONFIG_SOURCE_NAMES.indexOf('DEFAULT_CONFIG'),
    isReadOnly: c.readOnly,
    isSensitive: c.isSensitive,
    type: CONFIG_TYPE_NAMES[c.configType] ?? 'UNKNOWN',
    synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCE_NAMES[s.source] ?? 'UNKNOWN' })),
    documentation: c.documentation,
  }));
  return { type: r.type, name: r.name, entries };
}

/** Applies set/delete/append/subtract operations to each resource's dynamic configs. */
export async function incrementalAlterConfigs(ctx: AdminContext, resources: readonly IncrementalAlterConfigsResource[], options: AlterConfigsOptions = {}): Promise<void> {
  const byKey = byResourceKey(resources, 'incrementalAlterConfigs');
  for (const r of resources) {
    for (const op of r.ops) if (op.op !== 'delete' && op.value === undefined) throw new RangeError(`${keyOf(r)}: ${op.op} of ${op.name} needs a value`);
  }
  await ctx.retrier.settleEach(
    [...byKey.keys()],
    (pending) =>
      perTarget(ctx, pending, byKey, true, options.signal, async (nodeId, list) => {
        const response = await ctx.routing.send(nodeId, incrementalAlterConfigsApi, {
          resources: list.map((r) => ({
            resourceType: CONFIG_RESOURCE_TYPE_CODES[r.type],
            resourceName: r.name,
            configs: r.ops.map((op) => ({ name: op.name, configOperation: ALTER_CONFIG_OP_CODES[op.op], value: op.op === 'delete' ? null : op.value! })),
          })),
          validateOnly: options.validateOnly ?? false,
        }, options);
        return alterOutcomes(response.responses);
      }),
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
}

/** Replaces each resource's dynamic configs with `configs` (Kafka's deprecated AlterConfigs). */
export async function alterConfigs(ctx: AdminContext, resources: readonly AlterConfigsResource[], options: AlterConfigsOptions = {}): Promise<void> {
  const byKey = byResourceKey(resources, 'alterConfigs');
  await ctx.retrier.settleEach(
    [...byKey.keys()],
    (pending) =>
      perTarget(ctx, pending, byKey, true, options.signal, async (nodeId, list) => {
        const response = await ctx.routing.send(nodeId, alterConfigsApi, {
          resources: list.map((r) => ({
            resourceType: CONFIG_RESOURCE_TYPE_CODES[r.type],
            resourceName: r.name,
            configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })),
          })),
          validateOnly: options.validateOnly ?? false,
        }, options);
        return alterOutcomes(response.responses);
      }),
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
}

function alterOutcomes(responses: readonly { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[]): Map<string, ItemOutcome<true>> {
  return new Map(responses.map((res) => {
    const key = resourceKey(res.resourceType, res.resourceName);
    return [key, outcomeOf(res.errorCode, res.errorMessage, `config resource ${key}`, () => true as const)];
  }));
}
