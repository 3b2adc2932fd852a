// The cluster-wide default broker configs (Kafka's broker resource named "", i.e.
// `kafka-configs --entity-default`): their key `configs/brokers/default` (parsed, never
// taken for a broker id), the image's `brokerDefaultConfig` (put, delete, load), and the
// controller's alterConfigs on `{ type: 'broker-default' }`: the same compare-and-set on the
// key's modRevision as per-broker overrides, independent of them (the broker resolves the
// precedence: per-broker over default), a stale image refused, an empty set deleting the key.
import { describe, expect, it } from 'vitest';
import { ClusterImage } from './cluster-image.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { decodeConfigRecord, encodeConfigRecord } from './cluster-records.ts';
import { TestCluster } from './testing/test-cluster.ts';

async function threeBrokers(): Promise<TestCluster> {
  const c = new TestCluster(11);
  for (const id of [1, 2, 3]) await c.register(id);
  await c.refreshAll();
  expect(await c.controllers.get(1)!.campaign(c.leases.get(1)!)).toBe(true);
  await c.refreshAll();
  return c;
}

describe('cluster-wide default broker configs', () => {
  it('have their own key under configs/brokers/, which no broker id parses to', () => {
    const keys = new ClusterKeys('c1');
    expect(keys.brokerDefaultConfig).toBe('/samsa/c1/configs/brokers/default');
    expect(keys.brokerDefaultConfig.startsWith(keys.brokerConfigsPrefix)).toBe(true);
    expect(keys.parse(keys.brokerDefaultConfig)).toEqual({ kind: 'broker-default-config' });
    expect(keys.parse(keys.brokerConfig(0))).toEqual({ kind: 'broker-config', brokerId: 0 });
    expect(keys.parse('/samsa/c1/configs/brokers/defaults')).toBeNull();
  });

  it('show in the image on put, leave it on delete, and a load replaces them', () => {
    const keys = new ClusterKeys('c1');
    const image = new ClusterImage(keys);
    const kv = (revision: number, configs: Record<string, string>) => ({ key: keys.brokerDefaultConfig, value: encodeConfigRecord({ configs }), createRevision: 2, modRevision: revision, version: 1, lease: null });
    expect(image.apply({ revision: 2, events: [{ type: 'put', kv: kv(2, { 'log.retention.ms': '1000' }) }] })).toBe(true);
    expect(image.brokerDefaultConfig).toEqual({ record: { configs: { 'log.retention.ms': '1000' } }, createRevision: 2, modRevision: 2 });
    expect(image.brokerConfigs.size).toBe(0);
    image.apply({ revision: 3, events: [{ type: 'delete', kv: { ...kv(3, {}), value: new Uint8Array(0) } }] });
    expect(image.brokerDefaultConfig).toBeNull();
    image.load([kv(4, { 'message.max.bytes': '5' })], 4);
    expect(image.brokerDefaultConfig?.record.configs).toEqual({ 'message.max.bytes': '5' });
    image.load([], 5);
    expect(image.brokerDefaultConfig).toBeNull();
    // A malformed value is left out, never half-read.
    image.apply({ revision: 6, events: [{ type: 'put', kv: { ...kv(6, {}), value: new TextEncoder().encode('{"v":1,"configs":[1]}') } }] });
    expect(image.brokerDefaultConfig).toBeNull();
    expect(image.malformedKeys).toBe(1);
  });

  it('are altered by compare-and-set on their own key, beside the per-broker overrides', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    const configs = async (key: string) => {
      const kv = await c.store.get(key);
      return kv ? decodeConfigRecord(kv.value).configs : null;
    };
    expect(await one.alterConfigs({ resource: { type: 'broker', brokerId: 2 }, mode: 'incremental', configs: { 'log.retention.ms': '7' } })).toEqual({ ok: true });
    expect(await one.alterConfigs({ resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'log.retention.ms': '1000', 'message.max.bytes': '2000' } })).toEqual({ ok: true });
    expect(await configs(c.keys.brokerDefaultConfig)).toEqual({ 'log.retention.ms': '1000', 'message.max.bytes': '2000' });
    // The per-broker override stays as it was: it wins over the default where the broker resolves them.
    expect(await configs(c.keys.brokerConfig(2))).toEqual({ 'log.retention.ms': '7' });
    // A stale image (the default changed since it was read) fails instead of overwriting.
    expect(await one.alterConfigs({ resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'message.max.bytes': null } })).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
    await one.refresh();
    expect(one.state.image.brokerDefaultConfig?.record.configs).toEqual({ 'log.retention.ms': '1000', 'message.max.bytes': '2000' });
    expect(await one.alterConfigs({ resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'message.max.bytes': null } })).toEqual({ ok: true });
    expect(await configs(c.keys.brokerDefaultConfig)).toEqual({ 'log.retention.ms': '1000' });
    await one.refresh();
    // Replacing with nothing deletes the key; per-broker overrides are untouched.
    expect(await one.alterConfigs({ resource: { type: 'broker-default' }, mode: 'replace', configs: {} })).toEqual({ ok: true });
    expect(await c.store.get(c.keys.brokerDefaultConfig)).toBeNull();
    expect(await configs(c.keys.brokerConfig(2))).toEqual({ 'log.retention.ms': '7' });
    await one.refresh();
    expect(one.state.image.brokerDefaultConfig).toBeNull();
  });

  it('are refused by a broker that is not the controller, and with a bad value', async () => {
    const c = await threeBrokers();
    expect(await c.controllers.get(2)!.alterConfigs({ resource: { type: 'broker-default' }, mode: 'replace', configs: { a: '1' } })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.controllers.get(1)!.alterConfigs({ resource: { type: 'broker-default' }, mode: 'replace', configs: { a: null } })).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(await c.store.get(c.keys.brokerDefaultConfig)).toBeNull();
  });
});
