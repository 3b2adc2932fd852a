import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-types.ts';
import { parsePropertiesText, parseServerConfig } from './server-config.ts';
import { effectiveTopicConfig, resolveTopicConfigs, validateTopicConfig } from './topic-config.ts';
import { ConfigSource } from './config-types.ts';

const STOCK = `
# Licensed to the Apache Software Foundation
process.roles=broker,controller
node.id=3
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://localhost:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`;

describe('parseServerConfig', () => {
  it('uses Kafka defaults when empty', () => {
    const c = parseServerConfig();
    expect(c.numPartitions).toBe(1);
    expect(c.autoCreateTopicsEnable).toBe(true);
    expect(c.messageMaxBytes).toBe(1048588);
    expect(c.socketRequestMaxBytes).toBe(104857600);
    expect(c.logRetentionMs).toBe(168 * 3_600_000);
    expect(c.logFlushIntervalMessages).toBe(Number.MAX_SAFE_INTEGER);
    expect(c.logFlushIntervalMs).toBeNull();
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '', port: 9092 }]);
    expect(c.offsetsTopicNumPartitions).toBe(50);
  });

  it("loads Kafka's stock KRaft server.properties", () => {
    const c = parseServerConfig({ text: STOCK });
    expect(c.nodeId).toBe(3);
    expect(c.logDirs).toEqual(['/tmp/kraft-combined-logs']);
    expect(c.listeners.map((l) => `${l.name}:${l.host}:${l.port}`)).toEqual(['PLAINTEXT:localhost:9092', 'CONTROLLER::9093']);
    expect(c.explicitKeys.has('log.segment.bytes')).toBe(true);
  });

  it('applies overrides after the file, and retention precedence ms > minutes > hours', () => {
    const c = parseServerConfig({ text: 'log.retention.hours=1\nnum.partitions=2', overrides: ['num.partitions=7', ['log.retention.minutes', '3']] });
    expect(c.numPartitions).toBe(7);
    expect(c.logRetentionMs).toBe(180_000);
    expect(parseServerConfig({ overrides: ['log.retention.ms=5', 'log.retention.minutes=3'] }).logRetentionMs).toBe(5);
  });

  it('names the key on unknown keys and bad values', () => {
    const err = (f: () => unknown): ConfigError => {
      try {
        f();
      } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err(() => parseServerConfig({ text: 'no.such.key=1' })).key).toBe('no.such.key');
    expect(err(() => parseServerConfig({ overrides: ['num.partitions=abc'] })).key).toBe('num.partitions');
    expect(err(() => parseServerConfig({ overrides: ['num.partitions=0'] })).message).toContain('num.partitions');
    expect(err(() => parseServerConfig({ overrides: ['auto.create.topics.enable=yes'] })).key).toBe('auto.create.topics.enable');
    expect(err(() => parseServerConfig({ overrides: ['listeners=localhost:9092'] })).key).toBe('listeners');
    expect(err(() => parseServerConfig({ overrides: ['message.max.bytes=99999999999'] })).key).toBe('message.max.bytes');
  });

  it('parses Properties syntax: separators, comments, continuations', () => {
    expect(parsePropertiesText('a=1\n! c\nb : 2\nc 3\nd=x,\\\n   y\n# e=5')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', 'x,y'],
    ]);
  });
});

describe('topic configs', () => {
  it('resolve topic override > static broker > default, with sources', () => {
    const server = parseServerConfig({ overrides: ['log.segment.bytes=1000000'] });
    const resolved = new Map(resolveTopicConfigs(server, {}, { 'retention.ms': '1000' }).map((r) => [r.name, r]));
    expect(resolved.get('retention.ms')).toMatchObject({ value: '1000', source: ConfigSource.TOPIC_CONFIG });
    expect(resolved.get('segment.bytes')).toMatchObject({ value: '1000000', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(resolved.get('max.message.bytes')).toMatchObject({ value: '1048588', source: ConfigSource.DEFAULT_CONFIG, isDefault: true });
    expect(resolved.get('cleanup.policy')?.value).toBe('delete');
    const eff = effectiveTopicConfig(server, {}, { 'message.timestamp.type': 'LogAppendTime' });
    expect(eff.logAppendTime).toBe(true);
    expect(eff.segmentBytes).toBe(1000000);
    expect(eff.retentionMs).toBe(604800000);
  });

  it('rejects unknown names and bad values', () => {
    expect(() => validateTopicConfig('retention.mss', '1')).toThrow(/retention.mss/);
    expect(() => validateTopicConfig('cleanup.policy', 'forever')).toThrow(/cleanup.policy/);
    expect(validateTopicConfig('cleanup.policy', 'compact, delete')).toBe('compact,delete');
  });
});
