// The cluster keys (metadata.store, etcd.endpoints, broker.session.timeout.ms,
// broker.heartbeat.interval.ms), the --metadata flag, and cluster.id's default in a cluster.
import { ConfigError, parseServerConfig } from '@samsa/broker';
import { describe, expect, it } from 'vitest';
import { brokerCommand } from './broker-command.ts';
import type { BrokerCommandOptions } from './broker-command.ts';
import { brokerConfigFrom } from './broker-config.ts';
import { parseMetadataFlag, resolveBrokerFlags } from './broker-flags.ts';
import { CliError } from './cli-error.ts';
import { clusterConfigFrom } from './cluster-config.ts';

const abs = (p: string): string => (p.startsWith('/') ? p : `/cwd/${p}`);

describe('cluster config', () => {
  it('is null on a single broker (metadata.store=local, the default)', () => {
    const config = parseServerConfig({});
    expect(config.values.get('metadata.store')).toBe('local');
    expect(config.values.get('broker.session.timeout.ms')).toBe(9000);
    expect(config.values.get('broker.heartbeat.interval.ms')).toBe(2000);
    expect(clusterConfigFrom(config)).toBeNull();
  });

  it('--metadata etcd://… sets the store and the endpoints, and cluster.id defaults to samsa', () => {
    const { config } = brokerConfigFrom({ metadata: 'etcd://127.0.0.1:2379,etcd-2:2380', nodeId: 2 }, '', abs);
    expect(clusterConfigFrom(config)).toEqual({ clusterId: 'samsa', endpoints: ['http://127.0.0.1:2379', 'http://etcd-2:2380'], sessionTimeoutMs: 9000, heartbeatIntervalMs: 2000 });
    expect(config.clusterId).toBe('samsa');
    // An explicit cluster.id wins; --metadata wins over the file.
    const text = 'metadata.store=local\ncluster.id=prod-1\nbroker.session.timeout.ms=6000\nbroker.heartbeat.interval.ms=1500\n';
    const explicit = brokerConfigFrom({ metadata: 'etcd://[::1]:2379' }, text, abs).config;
    expect(clusterConfigFrom(explicit)).toEqual({ clusterId: 'prod-1', endpoints: ['http://[::1]:2379'], sessionTimeoutMs: 6000, heartbeatIntervalMs: 1500 });
    // --metadata local keeps a single broker, with no cluster id forced on it.
    const local = brokerConfigFrom({ metadata: 'local' }, 'metadata.store=etcd\netcd.endpoints=http://127.0.0.1:2379\n', abs).config;
    expect(clusterConfigFrom(local)).toBeNull();
    expect(resolveBrokerFlags({ configText: '', overrides: [], metadata: 'local' }, abs).overrides).not.toContainEqual(['cluster.id', 'samsa']);
  });

  it('`samsa broker --node-id 2 --metadata etcd://…` reaches the config', async () => {
    let got: BrokerCommandOptions | null = null;
    const command = brokerCommand({ action: async (o) => void (got = o) });
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    await command.parseAsync(['--node-id', '2', '--metadata', 'etcd://127.0.0.1:2379', '--port', '9093'], { from: 'user' });
    expect(got!.metadata).toBe('etcd://127.0.0.1:2379');
    const { config } = brokerConfigFrom(got!, '', abs);
    expect([config.nodeId, clusterConfigFrom(config)?.endpoints]).toEqual([2, ['http://127.0.0.1:2379']]);
  });

  it('refuses a malformed --metadata as a usage error naming the form', () => {
    for (const bad of ['etcd://', 'etcd://host', 'zk://127.0.0.1:2181', 'etcd://a:1,,b:2', 'etcd://a:99999']) {
      expect(() => parseMetadataFlag(bad)).toThrow(CliError);
      expect(() => parseMetadataFlag(bad)).toThrow(/etcd:\/\/host:port\[,host:port\.\.\.\]/);
    }
  });

  it('refuses bad keys and combinations with the key named (exit 2)', () => {
    expect(() => parseServerConfig({ overrides: ['metadata.store=zookeeper'] })).toThrow(/metadata\.store.*must be one of local, etcd/);
    expect(() => parseServerConfig({ overrides: ['etcd.endpoints=127.0.0.1:2379'] })).toThrow(/"127\.0\.0\.1:2379" is not an etcd client URL/);
    expect(() => parseServerConfig({ overrides: ['broker.session.timeout.ms=10'] })).toThrow(ConfigError);
    const missing = () => clusterConfigFrom(parseServerConfig({ overrides: ['metadata.store=etcd'] }));
    expect(missing).toThrow(/etcd\.endpoints: metadata\.store=etcd needs at least one/);
    const slowHeartbeat = () => clusterConfigFrom(parseServerConfig({ overrides: ['metadata.store=etcd', 'etcd.endpoints=http://h:1', 'broker.heartbeat.interval.ms=9000'] }));
    expect(slowHeartbeat).toThrow(/must be below broker\.session\.timeout\.ms \(9000\)/);
    const badId = () => clusterConfigFrom(parseServerConfig({ overrides: ['metadata.store=etcd', 'etcd.endpoints=http://h:1', 'cluster.id=a/b'] }));
    expect(badId).toThrow(/cluster\.id=a\/b/);
    // Through the CLI's config path these are usage errors naming the key.
    const cli = (() => {
      try {
        brokerConfigFrom({ override: ['metadata.store=etcd'] }, '', abs);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(cli).toBeInstanceOf(CliError);
    expect((cli as CliError).exitCode).toBe(2);
    expect((cli as Error).message).toMatch(/config error in "etcd\.endpoints"/);
  });
});
