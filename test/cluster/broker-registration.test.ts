/**
 * Two real broker processes, one on Node and one on Deno (`samsa broker --node-id N --metadata etcd://…`) against a
 * real etcd (Debian's etcd-server, one member on free loopback ports, started here):
 * - both register under /samsa/samsa/brokers/ with their advertised endpoints, and exactly
 *   one of them holds /samsa/samsa/controller;
 * - SIGTERM makes a broker revoke its lease on the way out: its registration is gone as soon
 *   as the process has exited, not after the session timeout (set to 60 s here, so only the
 *   revoke can explain it).
 * - etcd lost while a broker runs: once its lease window lapses it logs LEASE LOST; when etcd
 *   is back it re-registers with a new lease (LEASE RENEWED) and keeps serving.
 * Every broker and etcd is stopped in afterEach, also when a test fails; data dirs go too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, tempDir } from '@samsa/bench';
import type { BrokerProcess } from '@samsa/bench';
import { systemClock } from '../../packages/runtime/src/clock.ts';
import { createRandom } from '../../packages/runtime/src/random.ts';
import { EtcdMetadataStore } from '../../packages/coordinator/src/metadata/etcd/index.ts';
import { ClusterKeys, decodeBrokerRegistration, decodeControllerRecord } from '../../packages/coordinator/src/controller/index.ts';
import { startEtcd } from './etcd-process.ts';
import type { EtcdCluster } from './etcd-process.ts';

const WAIT_MS = 30_000;
const SESSION_TIMEOUT_MS = 60_000;
const keys = new ClusterKeys('samsa');

let etcd: EtcdCluster | null = null;
const brokers: BrokerProcess[] = [];
const dirs: { remove: () => void }[] = [];
let store: EtcdMetadataStore | null = null;

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.kill()));
  await store?.close();
  store = null;
  await etcd?.stop();
  etcd = null;
  for (const d of dirs.splice(0)) d.remove();
});

async function pollUntil<T>(what: string, read: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await read();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${WAIT_MS} ms${last ? ` (last error: ${String(last)})` : ''}\n${brokers.map((b) => b.output()).join('\n---\n')}`);
}

async function clusterMember(nodeId: number, endpoint: string, runtime: 'node' | 'deno', overrides: readonly string[] = [`broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`]): Promise<BrokerProcess> {
  const dir = tempDir(`cluster-${nodeId}`);
  dirs.push(dir);
  const broker = await startBroker({
    runtime,
    dataDir: dir.path,
    extraArgs: ['--node-id', String(nodeId), '--metadata', endpoint.replace(/^http:\/\//, 'etcd://')],
    overrides,
  });
  brokers.push(broker);
  return broker;
}

describe('brokers in an etcd cluster', () => {
  it('register under /samsa/samsa/brokers/, elect one controller, and leave at once on SIGTERM', async () => {
    etcd = await startEtcd(1);
    const endpoint = etcd.endpoints[0]!;
    store = new EtcdMetadataStore({ endpoints: etcd.endpoints, clock: systemClock, random: createRandom(1313), requestTimeoutMs: 5000 });
    // A Node and a Deno broker: both runtimes are members of the same cluster.
    const [one, two] = await Promise.all([clusterMember(1, endpoint, 'node'), clusterMember(2, endpoint, 'deno')]);

    const registered = await pollUntil('both brokers registered', async () => {
      const range = await store!.range(keys.brokersPrefix);
      return range.kvs.length === 2 ? range.kvs : null;
    });
    expect(registered.map((kv) => kv.key)).toEqual([keys.broker(1), keys.broker(2)]);
    const regs = registered.map((kv) => decodeBrokerRegistration(kv.value));
    expect(regs.map((r) => [r.brokerId, r.host, r.port])).toEqual([
      [1, '127.0.0.1', one.port],
      [2, '127.0.0.1', two.port],
    ]);
    for (const kv of registered) expect(kv.lease).not.toBeNull();
    expect(registered[0]!.lease).not.toBe(registered[1]!.lease);

    const controller = await pollUntil('a controller elected', () => store!.get(keys.controller));
    const controllerId = decodeControllerRecord(controller.value).brokerId;
    expect([1, 2]).toContain(controllerId);
    expect(controller.lease).toBe(registered[controllerId - 1]!.lease);

    // SIGTERM the other broker: a clean exit, and its key is already gone when it has exited.
    const leaving = controllerId === 1 ? two : one;
    const leavingId = controllerId === 1 ? 2 : 1;
    const sentMs = Date.now();
    expect(await leaving.stop(WAIT_MS)).toBe(0);
    expect(leaving.output()).toContain('samsa broker stopped cleanly');
    expect(await store.get(keys.broker(leavingId))).toBeNull();
    expect(Date.now() - sentMs).toBeLessThan(SESSION_TIMEOUT_MS);
    const staying = await store.get(keys.broker(controllerId));
    expect(staying?.lease).toBe(registered[controllerId - 1]!.lease);
    expect((await store.get(keys.controller))?.lease).toBe(controller.lease);
  });

  it('etcd lost: the broker logs LEASE LOST once its window lapses, then re-registers when etcd is back', async () => {
    etcd = await startEtcd(1);
    const member = etcd.members[0]!;
    store = new EtcdMetadataStore({ endpoints: etcd.endpoints, clock: systemClock, random: createRandom(1314), requestTimeoutMs: 5000 });
    const broker = await clusterMember(1, etcd.endpoints[0]!, 'node', ['broker.session.timeout.ms=3000', 'broker.heartbeat.interval.ms=500']);
    const before = await pollUntil('registered', () => store!.get(keys.broker(1)));
    await member.kill();
    await pollUntil('LEASE LOST logged', async () => (broker.output().includes('LEASE LOST') ? true : null));
    await member.restart();
    await pollUntil('LEASE RENEWED logged', async () => (broker.output().includes('LEASE RENEWED') ? true : null));
    const after = await pollUntil('registered again with a new lease', async () => {
      const kv = await store!.get(keys.broker(1));
      return kv !== null && kv.lease !== before.lease ? kv : null;
    });
    expect(after.createRevision).toBeGreaterThan(before.createRevision);
    expect(decodeBrokerRegistration(after.value).incarnation).not.toBe(decodeBrokerRegistration(before.value).incarnation);
    expect(await broker.stop(WAIT_MS)).toBe(0);
    expect(await store.get(keys.broker(1))).toBeNull();
  });
});
