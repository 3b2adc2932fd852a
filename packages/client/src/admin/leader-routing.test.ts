// Leader routing across two brokers: both run in cluster mode over one FakeClusterLink view
// (the broker's test double for the metadata store) on one MemoryTransport. Node 1 leads
// t-0, node 2 leads t-1 and is the controller; a broker asked about a partition it does
// not lead answers NOT_LEADER_OR_FOLLOWER, so a wrongly routed request would fail.
import { ApiKey, ErrorCode, ProduceRequestCodec, ProduceResponseCodec } from '@samsa/codec/wire';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../../broker/src/broker.ts';
import { parseServerConfig } from '../../../broker/src/config/server-config.ts';
import { buildClusterView, FakeClusterLink } from '../../../broker/src/testing/fake-cluster-link.ts';
import { KafkaTestClient } from '../../../broker/src/testing/kafka-test-client.ts';
import { batchOf, produceBody } from '../../../broker/src/testing/requests.ts';
import { drive } from '../../test/support/drive.ts';
import { Admin } from './admin.ts';

const PORTS = new Map([[1, 19091], [2, 19092]]);
const T = {
  name: 't',
  topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
  partitions: [
    { leader: 1, leaderEpoch: 3, replicas: [1, 2], isr: [1] },
    { leader: 2, leaderEpoch: 5, replicas: [2, 1], isr: [2] },
  ],
};
const NEW = { name: 'new', topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: [{ leader: 2, leaderEpoch: 0, replicas: [2], isr: [2] }] };
const viewOf = (revision: number, topics: (typeof T)[]) => buildClusterView({ revision, controllerId: 2, brokers: [...PORTS].map(([nodeId, port]) => ({ nodeId, port })), topics });
const VIEW = viewOf(1, [T]);

let brokers: Broker[] = [];
let links: FakeClusterLink[] = [];
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.close();
  for (const b of brokers) await b.shutdown();
  brokers = [];
  links = [];
  admin = undefined;
});

async function twoBrokers(): Promise<{ clock: ManualClock; transport: MemoryTransport }> {
  const clock = new ManualClock();
  const transport = new MemoryTransport();
  for (const [nodeId, port] of PORTS) {
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const config = parseServerConfig({ overrides: [`listeners=PLAINTEXT://127.0.0.1:${port}`, 'log.dirs=/data', `node.id=${nodeId}`] });
    const link = new FakeClusterLink(nodeId, VIEW);
    links.push(link);
    const broker = await Broker.open({ config, fs, clock, random: createRandom(nodeId), cluster: link });
    brokers.push(broker);
    await broker.settled();
    await broker.listen(transport);
  }
  return { clock, transport };
}

async function produceTo(transport: MemoryTransport, nodeId: number, partition: number, values: string[]): Promise<void> {
  const raw = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: PORTS.get(nodeId)! }));
  const r = await raw.request(ApiKey.Produce, 9, ProduceRequestCodec, produceBody('t', partition, batchOf(values)), ProduceResponseCodec);
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  await raw.close();
}

describe('Admin routing across brokers', () => {
  it('sends ListOffsets and DeleteRecords to each partition\'s leader; describeCluster and describeTopics see both brokers', async () => {
    const { clock, transport } = await twoBrokers();
    await produceTo(transport, 1, 0, ['a', 'b']);
    await produceTo(transport, 2, 1, ['c', 'd', 'e']);
    admin = new Admin({ transport, clock, bootstrap: [`127.0.0.1:${PORTS.get(1)}`], retriesMax: 0 });
    const latest = await drive(clock, admin.listOffsets([{ topic: 't', partition: 0, spec: 'latest' }, { topic: 't', partition: 1, spec: 'latest' }]));
    expect(latest.map((l) => [l.partition, l.offset, l.leaderEpoch])).toEqual([[0, 2, 3], [1, 3, 5]]);
    const deleted = await drive(clock, admin.deleteRecords([{ topic: 't', partition: 0, beforeOffset: 1 }, { topic: 't', partition: 1, beforeOffset: 2 }]));
    expect(deleted.map((d) => d.lowWatermark)).toEqual([1, 2]);
    const cluster = await drive(clock, admin.describeCluster());
    expect([cluster.controllerId, cluster.brokers.map((b) => [b.nodeId, b.port])]).toEqual([2, [[1, 19091], [2, 19092]]]);
    const [t] = await drive(clock, admin.describeTopics(['t']));
    expect(t!.partitions.map((p) => [p.leaderId, p.replicaIds, p.isrIds])).toEqual([[1, [1, 2], [1]], [2, [2, 1], [2]]]);
  });

  it('sends CreateTopics to the controller the metadata names', async () => {
    const { clock, transport } = await twoBrokers();
    // The controller's answer publishes the new topic to both brokers, as the metadata store would.
    for (const link of links) {
      link.controller.reply = () => {
        for (const l of links) l.publish(viewOf(2, [T, NEW]));
        return { ok: true, topicId: NEW.topicId };
      };
    }
    admin = new Admin({ transport, clock, bootstrap: [`127.0.0.1:${PORTS.get(1)}`] });
    const [created] = await drive(clock, admin.createTopics([{ name: 'new', partitions: 1, replicationFactor: 1 }]));
    expect(created!.name).toBe('new');
    expect(links.map((l) => l.controller.calls.map((c) => c.method))).toEqual([[], ['createTopic']]);
  });
});
