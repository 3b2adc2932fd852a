// The replica-fetch config keys: Kafka's defaults, each key refused out of its range by the
// server config parser (a clear ConfigError naming the key), the two cross-key checks, and
// replica.listener parsing.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-types.ts';
import { parseServerConfig } from '../config/server-config.ts';
import { parseEndpointOverrides, parseReplicaListener, REPLICA_FETCH_DEFAULTS, RESPONSE_FRAME_SLACK_BYTES, replicaFetchConfigOf } from './replica-fetch-config.ts';

const of = (...overrides: string[]) => replicaFetchConfigOf(parseServerConfig({ overrides }).values);

describe('replica fetch config', () => {
  it('defaults to Kafka’s values', () => {
    expect(of()).toEqual(REPLICA_FETCH_DEFAULTS);
    expect(of()).toEqual({
      listener: null,
      fetchMaxBytes: 1048576,
      responseMaxBytes: 10485760,
      waitMaxMs: 500,
      minBytes: 1,
      backoffMs: 1000,
      socketTimeoutMs: 30000,
      fetchers: 1,
      responseFrameBytesMax: 10485760 + RESPONSE_FRAME_SLACK_BYTES,
      endpointOverrides: new Map(),
    });
  });

  it('reads every key', () => {
    const c = of(
      'replica.listener=10.0.0.5:9193',
      'replica.fetch.max.bytes=2048',
      'replica.fetch.response.max.bytes=4096',
      'replica.fetch.wait.max.ms=100',
      'replica.fetch.min.bytes=10',
      'replica.fetch.backoff.ms=50',
      'replica.socket.timeout.ms=2000',
      'num.replica.fetchers=4',
      'replica.fetch.endpoint.overrides=2=127.0.0.1:40112, 3=[::1]:40113',
    );
    expect(c).toEqual({
      listener: { host: '10.0.0.5', port: 9193 },
      fetchMaxBytes: 2048,
      responseMaxBytes: 4096,
      waitMaxMs: 100,
      minBytes: 10,
      backoffMs: 50,
      socketTimeoutMs: 2000,
      fetchers: 4,
      responseFrameBytesMax: 4096 + RESPONSE_FRAME_SLACK_BYTES,
      endpointOverrides: new Map([
        [2, { host: '127.0.0.1', port: 40112 }],
        [3, { host: '::1', port: 40113 }],
      ]),
    });
  });

  it('refuses each key out of range, naming it', () => {
    const bad = [
      'replica.listener=nohost',
      'replica.listener=127.0.0.1:70000',
      'replica.listener=127.0.0.1:-1',
      'replica.fetch.max.bytes=0',
      'replica.fetch.max.bytes=1073741825',
      'replica.fetch.response.max.bytes=0',
      'replica.fetch.wait.max.ms=-1',
      'replica.fetch.wait.max.ms=300001',
      'replica.fetch.min.bytes=0',
      'replica.fetch.backoff.ms=-5',
      'replica.fetch.backoff.ms=300001',
      'replica.socket.timeout.ms=999',
      'num.replica.fetchers=0',
      'num.replica.fetchers=65',
      'num.replica.fetchers=x',
      'replica.fetch.endpoint.overrides=2:127.0.0.1:40112',
      'replica.fetch.endpoint.overrides=x=127.0.0.1:40112',
      'replica.fetch.endpoint.overrides=2=127.0.0.1',
      'replica.fetch.endpoint.overrides=2=127.0.0.1:70000',
      'replica.fetch.endpoint.overrides=2=127.0.0.1:0',
      'replica.fetch.endpoint.overrides=2=127.0.0.1:1,2=127.0.0.1:2',
      'replica.fetch.endpoint.overrides=2=127.0.0.1:1,',
    ];
    for (const o of bad) {
      const key = o.slice(0, o.indexOf('='));
      let thrown: unknown = null;
      try {
        parseServerConfig({ overrides: [o] });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect({ o, key: (thrown as ConfigError).key }).toEqual({ o, key });
    }
  });

  it('refuses a socket timeout not above the fetch wait, and a partition share above the response limit', () => {
    expect(() => of('replica.socket.timeout.ms=1000', 'replica.fetch.wait.max.ms=1000')).toThrow(/must be larger than replica.fetch.wait.max.ms/);
    expect(() => of('replica.fetch.max.bytes=2000', 'replica.fetch.response.max.bytes=1000')).toThrow(/must not exceed replica.fetch.response.max.bytes/);
  });

  it('names the bad entry of replica.fetch.endpoint.overrides; empty means none', () => {
    expect(() => of('replica.fetch.endpoint.overrides=2=127.0.0.1:1,3=nohost')).toThrow(/"3=nohost"/);
    expect(() => of('replica.fetch.endpoint.overrides=4=127.0.0.1:1,4=127.0.0.1:2')).toThrow(/broker 4 is mapped twice/);
    expect(of('replica.fetch.endpoint.overrides=').endpointOverrides.size).toBe(0);
    expect(parseEndpointOverrides('  ').size).toBe(0);
  });

  it('parses replica.listener with IPv6 and port 0', () => {
    expect(parseReplicaListener('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseReplicaListener('[::1]:9193')).toEqual({ host: '::1', port: 9193 });
    expect(() => parseReplicaListener('a:b')).toThrow(ConfigError);
  });
});
