/**
 * Config resources for DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: topic
 * (type 2) and broker (type 4) resources, their resolved entries and the validation of
 * changes. A broker resource is named by this node's id, or "" for the cluster default;
 * on a single broker both address the same dynamic broker configs (one node); in a cluster
 * "" is the cluster-wide default layer (`clusterDefaults`), below each broker's own.
 */
import { BROKER_CONFIG_DEF_BY_NAME, BROKER_CONFIG_DEFS } from './broker-config-defs.ts';
import { ConfigError, formatConfigValue, parseConfigValue } from './config-types.ts';
import { resolveBrokerConfig, resolveTopicConfigs, validateTopicConfig } from './topic-config.ts';
import type { ResolvedConfig } from './topic-config.ts';
import type { ServerConfig } from './server-config.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export function isThisBroker(resourceName: string, nodeId: number): boolean {
  return resourceName === '' || resourceName === String(nodeId);
}

export function brokerConfigEntries(server: ServerConfig, dynamic: Readonly<Record<string, string>>, clusterDefaults: Readonly<Record<string, string>> = {}): ResolvedConfig[] {
  return BROKER_CONFIG_DEFS.map((d) => resolveBrokerConfig(server, dynamic, d.name, clusterDefaults)!);
}

/**
 * The cluster-wide default broker configs alone (a cluster's broker resource ""), as Kafka
 * describes `--entity-default`: one entry per key set, source DYNAMIC_DEFAULT_BROKER_CONFIG.
 */
export function clusterDefaultConfigEntries(server: ServerConfig, clusterDefaults: Readonly<Record<string, string>>): ResolvedConfig[] {
  return BROKER_CONFIG_DEFS.filter((d) => Object.hasOwn(clusterDefaults, d.name)).map((d) => resolveBrokerConfig(server, {}, d.name, clusterDefaults)!);
}

export function topicConfigEntries(server: ServerConfig, dynamic: Readonly<Record<string, string>>, overrides: Readonly<Record<string, string>>, clusterDefaults: Readonly<Record<string, string>> = {}): ResolvedConfig[] {
  return resolveTopicConfigs(server, dynamic, overrides, clusterDefaults);
}

/** Validates a dynamic broker config change; returns the normalized text. Throws ConfigError. */
export function validateBrokerDynamicConfig(name: string, text: string | null): string | null {
  const d = BROKER_CONFIG_DEF_BY_NAME.get(name);
  if (!d) throw new ConfigError('unknown-key', name, `Unknown broker config name: ${name}`);
  if (!d.dynamic) throw new ConfigError('bad-value', name, `Cannot update ${name} dynamically: it is a read-only broker config`);
  const value = parseConfigValue(name, d.type, text);
  const problem = value === null ? null : (d.validate?.(value) ?? null);
  if (problem) throw new ConfigError('bad-value', name, `Invalid value ${text} for configuration ${name}: ${problem}`);
  return formatConfigValue(value, d.type);
}

/** Validates a whole set for one resource; returns normalized overrides or the first error. */
export function validateConfigSet(
  resourceType: number,
  configs: ReadonlyArray<{ readonly name: string; readonly value: string | null }>,
): { ok: Record<string, string> } | { error: string } {
  const out: Record<string, string> = {};
  try {
    for (const c of configs) {
      const v = resourceType === ResourceType.TOPIC ? validateTopicConfig(c.name, c.value) : validateBrokerDynamicConfig(c.name, c.value);
      if (v !== null) out[c.name] = v;
    }
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
  return { ok: out };
}
