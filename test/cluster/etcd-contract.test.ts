/**
 * The metadata store contract (packages/coordinator/src/metadata/testing/store-contract.ts,
 * the same suite the simulated store passes) against EtcdMetadataStore on a real etcd
 * (Debian's etcd-server, one member started here on free loopback ports, stopped in
 * afterAll). Each test gets its own key prefix on the shared member, so tests cannot see
 * each other's keys; lease expiry is real time (etcd's TTLs are whole seconds).
 */
import { afterAll, beforeAll } from 'vitest';
import { systemClock } from '../../packages/runtime/src/clock.ts';
import { createRandom } from '../../packages/runtime/src/random.ts';
import { EtcdMetadataStore } from '../../packages/coordinator/src/metadata/etcd/index.ts';
import { metadataStoreContract } from '../../packages/coordinator/src/metadata/testing/store-contract.ts';
import { etcdctl, startEtcd } from './etcd-process.ts';
import type { EtcdCluster } from './etcd-process.ts';

const EXPIRY_WAIT_MS = 20_000;

let etcd: EtcdCluster | undefined;
let fixtures = 0;

beforeAll(async () => {
  etcd = await startEtcd(1);
}, 60_000);

afterAll(async () => {
  await etcd?.stop();
});

metadataStoreContract({
  name: 'etcd',
  timeoutMs: 40_000,
  create: async () => {
    const endpoints = etcd!.endpoints;
    const store = new EtcdMetadataStore({ endpoints, clock: systemClock, random: createRandom(1300 + fixtures), requestTimeoutMs: 5000 });
    const prefix = `contract-${++fixtures}/`;
    return {
      store,
      prefix,
      // A keepAlive would renew the lease, so poll the prefix until no key holds the lease
      // (etcd deletes a lease's keys with the lease, after its TTL, checked every ~500 ms).
      waitForExpiry: async (lease) => {
        const deadline = Date.now() + lease.ttlMs + EXPIRY_WAIT_MS;
        while ((await store.range(prefix)).kvs.some((kv) => kv.lease === lease.id)) {
          if (Date.now() > deadline) throw new Error(`lease ${lease.id} did not expire within ${lease.ttlMs + EXPIRY_WAIT_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      compact: async (revision) => {
        await etcdctl(endpoints[0]!, ['compact', String(revision)]);
      },
      close: () => store.close(),
    };
  },
});
