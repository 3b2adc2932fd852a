import { ErrorCode } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import type { AdminSetup } from '../../test/support/admin-fixture.ts';
import { KafkaAbortError, KafkaError } from '../errors.ts';
import type { ConfigDescription } from './configs.ts';

const fixture = useAdminFixture();

async function setup(): Promise<AdminSetup> {
  const { tb, admin } = await fixture.start({ overrides: ['log.retention.ms=3600000'] });
  await drive(tb.clock, admin.createTopics([{ name: 'cfg', partitions: 1 }]));
  return { tb, admin };
}

const entry = (d: ConfigDescription, name: string) => d.entries.find((e) => e.name === name);

describe('Admin configs', () => {
  it('describes a topic: values, sources, types and synonyms; keys filter', async () => {
    const { tb, admin } = await setup();
    const [all] = await drive(tb.clock, admin.describeConfigs([{ type: 'topic', name: 'cfg' }]));
    const retention = entry(all!, 'retention.ms')!;
    expect(retention.value).toBe('3600000');
    expect(retention.source).toBe('STATIC_BROKER_CONFIG');
    expect(retention.type).toBe('LONG');
    expect(retention.synonyms.map((s) => s.source)).toContain('STATIC_BROKER_CONFIG');
    const [some] = await drive(tb.clock, admin.describeConfigs([{ type: 'topic', name: 'cfg', keys: ['cleanup.policy'] }], { includeSynonyms: false }));
    expect(some!.entries.map((e) => [e.name, e.value, e.source, e.synonyms.length])).toEqual([['cleanup.policy', 'delete', 'DEFAULT_CONFIG', 0]]);
  });

  it('incrementalAlterConfigs set / append / subtract / delete, read back with source DYNAMIC_TOPIC_CONFIG', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', ops: [{ name: 'retention.ms', op: 'set', value: '60000' }, { name: 'cleanup.policy', op: 'append', value: 'compact' }] }]));
    expect(tb.broker.registry.topic('cfg')!.record.configs['retention.ms']).toBe('60000');
    let [d] = await drive(tb.clock, admin.describeConfigs([{ type: 'topic', name: 'cfg', keys: ['retention.ms', 'cleanup.policy'] }]));
    expect(entry(d!, 'retention.ms')).toMatchObject({ value: '60000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false });
    expect(entry(d!, 'retention.ms')!.synonyms.map((s) => [s.source, s.value])[0]).toEqual(['DYNAMIC_TOPIC_CONFIG', '60000']);
    expect(entry(d!, 'cleanup.policy')).toMatchObject({ value: 'delete,compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', ops: [{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }, { name: 'retention.ms', op: 'delete' }] }]));
    [d] = await drive(tb.clock, admin.describeConfigs([{ type: 'topic', name: 'cfg', keys: ['retention.ms', 'cleanup.policy'] }]));
    expect(entry(d!, 'retention.ms')).toMatchObject({ value: '3600000', source: 'STATIC_BROKER_CONFIG' });
    expect(entry(d!, 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
  });

  it('INVALID_CONFIG and UNKNOWN_TOPIC_OR_PARTITION fail as KafkaError; validateOnly changes nothing', async () => {
    const { tb, admin } = await setup();
    const invalid = await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', ops: [{ name: 'retention.ms', op: 'set', value: 'soon' }] }])).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(KafkaError);
    expect((invalid as KafkaError).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const unknown = await drive(tb.clock, admin.describeConfigs([{ type: 'topic', name: 'nope' }])).catch((e: unknown) => e);
    expect((unknown as KafkaError).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', ops: [{ name: 'retention.ms', op: 'set', value: '1000' }] }], { validateOnly: true }));
    expect(tb.broker.registry.topic('cfg')!.record.configs['retention.ms']).toBeUndefined();
  });

  it('alterConfigs replaces the whole override set', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', ops: [{ name: 'retention.ms', op: 'set', value: '60000' }] }]));
    await drive(tb.clock, admin.alterConfigs([{ type: 'topic', name: 'cfg', configs: { 'segment.ms': '120000' } }]));
    expect(tb.broker.registry.topic('cfg')!.record.configs).toEqual({ 'segment.ms': '120000' });
  });

  it('describes and alters a broker at that broker', async () => {
    const { tb, admin } = await setup();
    const id = String(tb.broker.config.nodeId);
    await drive(tb.clock, admin.incrementalAlterConfigs([{ type: 'broker', name: id, ops: [{ name: 'log.retention.ms', op: 'set', value: '7200000' }] }]));
    const [broker] = await drive(tb.clock, admin.describeConfigs([{ type: 'broker', name: id, keys: ['log.retention.ms'] }]));
    expect(entry(broker!, 'log.retention.ms')).toMatchObject({ value: '7200000', source: 'DYNAMIC_BROKER_CONFIG' });
    expect(entry(broker!, 'log.retention.ms')!.synonyms.map((s) => s.source)).toEqual(['DYNAMIC_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG']);
    const missing = await drive(tb.clock, admin.describeConfigs([{ type: 'broker', name: '999' }])).catch((e: unknown) => e);
    expect((missing as KafkaError).errorCode).toBe(ErrorCode.BROKER_NOT_AVAILABLE);
  });

  it('an abort during the call rejects with KafkaAbortError', async () => {
    const { tb, admin } = await setup();
    const controller = new AbortController();
    const call = admin.describeConfigs([{ type: 'topic', name: 'cfg' }], { signal: controller.signal });
    controller.abort();
    await expect(drive(tb.clock, call)).rejects.toBeInstanceOf(KafkaAbortError);
  });
});
