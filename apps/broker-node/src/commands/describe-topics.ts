/**
 * What `samsa topics describe` asks the cluster, each request to one broker on its own
 * (client/broker-request.ts: the client's BrokerConnection, each bounded by RAW_REQUEST_TIMEOUT_MS):
 *   1. Metadata v4 (no auto-creation) from the first bootstrap address that answers: the
 *      topics (all when none are named), their partitions, the live brokers;
 *   2. at once: DescribeConfigs v1 (the topics' non-default configs) from that broker,
 *      ListOffsets from each partition's leader and DescribeLogDirs from every live broker
 *      (admin-client.ts `partitionOffsets`, `replicaLags`).
 * Not through the client's Admin: its listOffsets retries a partition without a leader and
 * then fails as a whole, as it does when one leader does not answer, and it has no
 * DescribeLogDirs; an offline partition or a dead broker — the cases an operator describes a
 * topic for — would make the whole command fail or wait. Here each is only shown as unknown.
 *
 * Errors: no bootstrap address answers → exit 1 saying how to start a broker; a named
 * topic that does not exist → exit 1 naming it; DescribeConfigs unanswered → exit 1. A partition without a leader or a broker
 * that does not answer is not an error: its values show as unknown.
 */
import { CliError, ExitCode } from '@samsa/host/cli';
import { partitionOffsets, RAW_REQUEST_TIMEOUT_MS, replicaLags } from './admin-client.ts';
import type { BrokerAddress } from './admin-client.ts';
import { describePartition, partitionKey } from './topic-description.ts';
import type { TopicDescription } from './topic-description.ts';

const METADATA_VERSION = 4;
const DESCRIBE_CONFIGS_VERSION = 1;
const TOPIC_RESOURCE = 2;
/** DescribeConfigs v1+ config source of a value nobody set (Kafka's DEFAULT_CONFIG); the rest are shown. */
const DEFAULT_CONFIG_SOURCE = 5;

interface TopicMetadata {
  readonly name: string;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly leader: number; readonly replicas: readonly number[]; readonly isr: readonly number[] }>;
}

function addressesOf(bootstrap: string): BrokerAddress[] {
  return bootstrap
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const colon = s.lastIndexOf(':');
      const port = Number(s.slice(colon + 1));
      if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) throw new CliError(`--bootstrap: "${s}" is not host:port`, ExitCode.usage);
      return { nodeId: -1, host: s.slice(0, colon), port };
    });
}

/**
 * Metadata (v4, no auto-creation) from the first bootstrap address that answers; which one
 * answered, and its cluster id and controller. Sent on its own (broker-request.ts) rather than
 * through the client's Cluster, which asks only for the topics it tracks (never "all") and
 * waits out a topic error: a partition without a leader is exactly what `topics describe`
 * and `cluster` report.
 */
export async function metadataFrom(bootstrap: string, names: readonly string[] | null): Promise<{ topics: TopicMetadata[]; brokers: BrokerAddress[]; answered: BrokerAddress; clusterId: string | null; controllerId: number }> {
  const [{ brokerRequest }, { ErrorCode, MetadataRequestCodec, MetadataResponseCodec, ZERO_UUID }] = await Promise.all([import('../client/broker-request.ts'), import('@samsa/codec/wire')]);
  const api = { request: MetadataRequestCodec, response: MetadataResponseCodec };
  const body = { topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  const failures: string[] = [];
  for (const address of addressesOf(bootstrap)) {
    let r;
    try {
      r = await brokerRequest({ host: address.host, port: address.port, api, version: METADATA_VERSION, body, timeoutMs: RAW_REQUEST_TIMEOUT_MS });
    } catch (error) {
      failures.push((error as Error).message);
      continue;
    }
    const missing = r.topics.filter((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).map((t) => t.name);
    if (missing.length > 0) throw new CliError(`topic ${missing.map((n) => `"${n}"`).join(', ')} does not exist; list topics with \`samsa topics list\``, ExitCode.failure);
    const failed = r.topics.find((t) => t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE);
    if (failed) throw new CliError(`describing topic "${failed.name}" failed: Kafka error code ${failed.errorCode}`, ExitCode.failure);
    const topics = r.topics
      .map((t) => ({ name: t.name ?? '', partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes })) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { topics, brokers: r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), answered: address, clusterId: r.clusterId, controllerId: r.controllerId };
  }
  throw new CliError(`could not reach a broker at ${bootstrap}: ${failures.join('; ')}. Is it running? Start one with \`samsa broker\` (or \`npm start\`), or pass --bootstrap host:port.`, ExitCode.failure);
}

/** Each topic's non-default configs (DescribeConfigs v1); rejects when the broker does not answer. */
async function topicConfigs(broker: BrokerAddress, names: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const [{ brokerRequest }, { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec, ErrorCode }] = await Promise.all([import('../client/broker-request.ts'), import('@samsa/codec/wire')]);
  const api = { request: DescribeConfigsRequestCodec, response: DescribeConfigsResponseCodec };
  const out = new Map<string, Record<string, string>>();
  if (names.length === 0) return out;
  const body = { resources: names.map((resourceName) => ({ resourceType: TOPIC_RESOURCE, resourceName, configurationKeys: null })), includeSynonyms: false, includeDocumentation: false };
  const r = await brokerRequest({ host: broker.host, port: broker.port, api, version: DESCRIBE_CONFIGS_VERSION, body, timeoutMs: RAW_REQUEST_TIMEOUT_MS });
  for (const res of r.results) {
    if (res.errorCode !== ErrorCode.NONE) continue;
    out.set(res.resourceName, Object.fromEntries(res.configs.filter((c) => c.configSource !== DEFAULT_CONFIG_SOURCE && c.value !== null).map((c) => [c.name, c.value!])));
  }
  return out;
}

/** The topics named (all when `names` is empty), as `samsa topics describe` shows them. */
export async function describeTopics(bootstrap: string, names: readonly string[]): Promise<TopicDescription[]> {
  const { topics, brokers, answered } = await metadataFrom(bootstrap, names.length > 0 ? names : null);
  const led = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, leader: p.leader })));
  const [lags, offsets, configs] = await Promise.all([
    replicaLags(brokers, topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }))),
    partitionOffsets(brokers, led),
    topicConfigs(answered, topics.map((t) => t.name)),
  ]);
  return topics.map((t) => ({
    topic: t.name,
    partitions: t.partitions
      .map((p) => {
        const range = offsets.get(partitionKey(t.name, p.partition));
        return describePartition(t.name, { ...p, logStartOffset: range?.logStartOffset ?? null, highWatermark: range?.highWatermark ?? null }, lags);
      })
      .sort((a, b) => a.partition - b.partition),
    configs: configs.get(t.name) ?? {},
  }));
}
