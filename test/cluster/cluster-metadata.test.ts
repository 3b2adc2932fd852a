/**
 * Three brokers, two on Node and one on Deno, one etcd (issue 13 tests: bootstrap from any
 * broker; a Node and Deno mix):
 * - `kcat -L -b <broker>` against each broker lists all three brokers (ids and addresses)
 *   and the same leader for every partition, and each broker's own Metadata agrees;
 * - a 12-partition topic created with KafkaJS's admin against one broker spreads its
 *   leaders four per broker;
 * - every broker names the same controller, the one holding the controller key in etcd;
 * - a topic config changed through one broker (AlterConfigs, stored in etcd by the
 *   controller) is enforced by the leaders on every broker;
 * - a cluster-wide default broker config (AlterConfigs on the broker resource "", sent raw
 *   to broker 2: KafkaJS and librdkafka route a BROKER resource to the broker its name
 *   names, so neither can send "") is stored under `configs/brokers/default` and KafkaJS's
 *   describeConfigs of broker 3 (Deno) reports it with source DYNAMIC_DEFAULT_BROKER_CONFIG.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { connect, encodeRequest, readFrame } from '@samsa/bench';
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec, decodeResponseFrame } from '../../packages/codec/src/index.ts';
import { createClusterTopic, etcdRange, fetchMetadata, kcatMetadata, pollUntil, startCluster, waitForSameLeaders, withAdmin } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

/** DescribeConfigs' config source of a cluster-wide default broker config. */
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;

/** AlterConfigs v2 on one broker, on a raw socket; the error code of each resource. */
async function alterConfigsAt(port: number, resources: { resourceType: number; resourceName: string; configs: { name: string; value: string }[] }[]): Promise<number[]> {
  const socket = await connect(port, 10_000);
  try {
    socket.write(encodeRequest(33, 2, 1, 'cluster-metadata-test', AlterConfigsRequestCodec, { resources, validateOnly: false }));
    const frame = await readFrame(socket, 60_000);
    const { body } = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length), 33, 2, AlterConfigsResponseCodec);
    return body.responses.map((r) => r.errorCode);
  } finally {
    socket.destroy();
  }
}

describe('a Node, Node, Deno cluster serves the whole cluster from every broker', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'deno'] });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a 12-partition topic spreads four leaders per broker, and every broker reports the same leaders', async () => {
    // Bootstrapped from the Deno broker (KafkaJS sends CreateTopics to the controller its Metadata names).
    await createClusterTopic(cluster, cluster.broker(3).bootstrap, 'spread', 12);
    const leaders = await waitForSameLeaders(cluster, 'spread', 12);
    const perBroker = new Map<number, number>();
    for (const l of leaders) perBroker.set(l, (perBroker.get(l) ?? 0) + 1);
    expect([...perBroker.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
  });

  it('kcat -L against each broker lists all three brokers and the same leaders', async () => {
    const leaders = await waitForSameLeaders(cluster, 'spread', 12);
    const expectedBrokers = cluster.brokers.map((b) => ({ id: b.nodeId, name: b.bootstrap }));
    for (const b of cluster.brokers) {
      const seen = await kcatMetadata(b.bootstrap, 'spread');
      expect(seen.brokers, `kcat -L -b ${b.bootstrap}`).toEqual(expectedBrokers);
      const topic = seen.topics.find((t) => t.topic === 'spread');
      expect(topic?.partitions.map((p) => p.leader), `leaders from ${b.bootstrap}`).toEqual(leaders);
    }
  });

  it('every broker names the controller that holds the controller key', async () => {
    const controller = await cluster.controller();
    expect(controller).not.toBeNull();
    for (const b of cluster.brokers) {
      const metadata = await fetchMetadata(b.port);
      expect(metadata.controllerId, `controller according to broker ${b.nodeId}`).toBe(controller!.brokerId);
      expect(metadata.brokers.map((x) => x.nodeId)).toEqual([1, 2, 3]);
    }
  });

  it('a topic config altered through one broker is enforced by the leaders on every broker', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'configured', 3);
    const leaders = await waitForSameLeaders(cluster, 'configured', 3);
    expect(new Set(leaders).size).toBe(3); // one partition led by each broker
    await withAdmin(
      cluster,
      (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] }),
      cluster.broker(2).bootstrap,
    );
    const kafka = new kafkajs.Kafka({ brokers: cluster.bootstrap().split(','), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      for (let partition = 0; partition < 3; partition++) {
        await pollUntil(`partition ${partition} (led by broker ${leaders[partition]}) refuses a 2,000-byte record`, 30_000, async () => {
          try {
            await producer.send({ topic: 'configured', acks: -1, messages: [{ partition, value: 'x'.repeat(2000) }] });
            return false;
          } catch (error) {
            return String((error as { type?: string }).type ?? error).includes('MESSAGE_TOO_LARGE');
          }
        });
        await producer.send({ topic: 'configured', acks: -1, messages: [{ partition, value: 'small' }] });
      }
    } finally {
      await producer.disconnect();
    }
  });

  it('a cluster-wide default broker config set through broker 2 is described by broker 3 as DYNAMIC_DEFAULT_BROKER_CONFIG', async () => {
    const codes = await alterConfigsAt(cluster.broker(2).port, [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '4321000' }] }]);
    expect(codes).toEqual([0]);
    const stored = await etcdRange(cluster.etcd.endpoints, '/samsa/');
    const record = stored.entries.find((e) => e.key.endsWith('/configs/brokers/default'));
    expect(JSON.parse(record?.value ?? 'null')).toEqual({ v: 1, configs: { 'log.retention.ms': '4321000' } });
    // Broker 2 answered once its own view showed the change; broker 3 follows its own watch.
    await pollUntil('broker 3 describes the cluster default', 30_000, async () => {
      const described = await withAdmin(cluster, (admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '3', configNames: ['log.retention.ms'] }] }), cluster.broker(3).bootstrap);
      const entry = described.resources[0]?.configEntries.find((c) => c.configName === 'log.retention.ms');
      return entry?.configValue === '4321000' && entry.configSource === DYNAMIC_DEFAULT_BROKER_CONFIG;
    });
  });
});
