/**
 * The cluster's key layout in the metadata store. Every key of one cluster lives under one
 * root prefix, `/samsa/<cluster-id>/`, so a cluster is one `range` and one `watch`:
 *
 * ```
 * <root>controller                          ControllerRecord  (leased by the controller)
 * <root>brokers/<id:10>                     BrokerRegistration (leased by that broker)
 * <root>topics/<name>                       TopicRecord
 * <root>partitions/<name>/<partition:10>    PartitionRecord   (one key per partition: CAS per partition)
 * <root>configs/topics/<name>               ConfigRecord      (topic-level overrides)
 * <root>configs/brokers/<id:10>             ConfigRecord      (per-broker overrides)
 * <root>configs/brokers/default             ConfigRecord      (cluster-wide default broker configs: every
 *                                                              broker's, below its own per-broker overrides)
 * <root>producer-ids                        { v, blockEnd }   (producer ids below blockEnd are handed out;
 *                                                              brokers reserve blocks by compare-and-set)
 * ```
 *
 * Numbers in keys are zero-padded to 10 digits so the store's ascending key order is
 * numeric order. Topic names are Kafka's (`[a-zA-Z0-9._-]`, at most 249 chars), so they
 * never contain `/`; a cluster id is `[a-zA-Z0-9._-]+` too. This module is the only one that
 * builds or parses these keys; `parseClusterKey` refuses any key it did not build.
 */

export const clusterIdMaxChars = 64;
export const topicNameMaxChars = 249;
const legalName = /^[a-zA-Z0-9._-]+$/;
const idDigits = 10;

export class ClusterKeys {
  readonly root: string;
  readonly controller: string;
  readonly brokersPrefix: string;
  readonly topicsPrefix: string;
  readonly partitionsPrefix: string;
  readonly topicConfigsPrefix: string;
  readonly brokerConfigsPrefix: string;
  /** The cluster-wide default broker configs (Kafka's `--entity-default`, resource name ""). */
  readonly brokerDefaultConfig: string;
  readonly producerIds: string;

  constructor(clusterId: string) {
    if (!legalName.test(clusterId) || clusterId.length > clusterIdMaxChars) throw new RangeError(`illegal cluster id '${clusterId}'`);
    this.root = `/samsa/${clusterId}/`;
    this.controller = `${this.root}controller`;
    this.brokersPrefix = `${this.root}brokers/`;
    this.topicsPrefix = `${this.root}topics/`;
    this.partitionsPrefix = `${this.root}partitions/`;
    this.topicConfigsPrefix = `${this.root}configs/topics/`;
    this.brokerConfigsPrefix = `${this.root}configs/brokers/`;
    // Not 10 digits, so never a broker id's key.
    this.brokerDefaultConfig = `${this.brokerConfigsPrefix}default`;
    this.producerIds = `${this.root}producer-ids`;
  }

  broker(brokerId: number): string {
    return this.brokersPrefix + padId(brokerId);
  }
  topic(name: string): string {
    return this.topicsPrefix + checkTopicName(name);
  }
  /** The prefix of every partition key of one topic (a delete-prefix removes them all). */
  topicPartitionsPrefix(name: string): string {
    return `${this.partitionsPrefix}${checkTopicName(name)}/`;
  }
  partition(name: string, partition: number): string {
    return this.topicPartitionsPrefix(name) + padId(partition);
  }
  topicConfig(name: string): string {
    return this.topicConfigsPrefix + checkTopicName(name);
  }
  brokerConfig(brokerId: number): string {
    return this.brokerConfigsPrefix + padId(brokerId);
  }

  /** What a key under the root names, or null for a key this layout does not have. */
  parse(key: string): ClusterKey | null {
    if (key === this.controller) return { kind: 'controller' };
    if (key === this.brokerDefaultConfig) return { kind: 'broker-default-config' };
    const id = (prefix: string): number | null => (key.startsWith(prefix) ? parseId(key.slice(prefix.length)) : null);
    const name = (prefix: string): string | null => {
      if (!key.startsWith(prefix)) return null;
      const n = key.slice(prefix.length);
      return isLegalTopicName(n) ? n : null;
    };
    const brokerId = id(this.brokersPrefix);
    if (brokerId !== null) return { kind: 'broker', brokerId };
    const topic = name(this.topicsPrefix);
    if (topic !== null) return { kind: 'topic', topic };
    const topicConfig = name(this.topicConfigsPrefix);
    if (topicConfig !== null) return { kind: 'topic-config', topic: topicConfig };
    const configBroker = id(this.brokerConfigsPrefix);
    if (configBroker !== null) return { kind: 'broker-config', brokerId: configBroker };
    if (key.startsWith(this.partitionsPrefix)) {
      const rest = key.slice(this.partitionsPrefix.length);
      const slash = rest.lastIndexOf('/');
      const t = rest.slice(0, slash);
      const p = parseId(rest.slice(slash + 1));
      if (slash > 0 && isLegalTopicName(t) && p !== null) return { kind: 'partition', topic: t, partition: p };
    }
    return null;
  }
}

export type ClusterKey =
  | { readonly kind: 'controller' }
  | { readonly kind: 'broker'; readonly brokerId: number }
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'partition'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'topic-config'; readonly topic: string }
  | { readonly kind: 'broker-config'; readonly brokerId: number }
  | { readonly kind: 'broker-default-config' };

export function isLegalTopicName(name: string): boolean {
  return name.length > 0 && name.length <= topicNameMaxChars && name !== '.' && name !== '..' && legalName.test(name);
}

function checkTopicName(name: string): string {
  if (!isLegalTopicName(name)) throw new RangeError(`illegal topic name '${name}'`);
  return name;
}

function padId(id: number): string {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`illegal id ${id} in a key`);
  return String(id).padStart(idDigits, '0');
}

function parseId(text: string): number | null {
  if (text.length !== idDigits || !/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return n <= 0x7fffffff ? n : null;
}
