// The Deno broker's minimal permission set (apps/broker-deno/src/permissions.ts), computed
// from a resolved config: scoped net/read/write, fixed env/sys names, nothing unscoped.
import { parseServerConfig } from '@samsa/broker';
import { describe, expect, it } from 'vitest';
import { brokerPermissions, permissionFlags } from '../../apps/broker-deno/src/permissions.ts';

describe('Deno broker permissions', () => {
  it('scopes net to the listener and admin port, read/write to the data dirs and config file', () => {
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:19092', 'log.dirs=/srv/a,/srv/b'] });
    const flags = permissionFlags(brokerPermissions(config, { configPath: '/etc/samsa/server.properties', adminPort: 9644 }));
    expect(flags).toEqual([
      '--allow-net=127.0.0.1:19092,127.0.0.1:9644',
      '--allow-read=/srv/a,/srv/b,/etc/samsa/server.properties',
      '--allow-write=/srv/a,/srv/b',
      '--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED',
      '--allow-sys=hostname,statfs',
    ]);
  });

  it('port 0 allows the host on any port; binding every interface puts admin on loopback', () => {
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://0.0.0.0:0', 'log.dirs=/d'] });
    const p = brokerPermissions(config, { adminPort: 0 });
    expect(p.net).toEqual(['0.0.0.0', '127.0.0.1']);
    expect(p.read).toEqual(['/d']);
    expect(p.write).toEqual(['/d']);
    for (const flag of permissionFlags(p)) expect(flag).toMatch(/^--allow-[a-z]+=./);
  });

  it('a cluster member may also reach each etcd endpoint, and nothing else', () => {
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:19093', 'log.dirs=/d', 'metadata.store=etcd', 'etcd.endpoints=http://127.0.0.1:2379,http://10.0.0.2:2381'] });
    expect(brokerPermissions(config, {}).net).toEqual(['127.0.0.1:19093', '127.0.0.1:2379', '10.0.0.2:2381']);
    const single = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:19093', 'log.dirs=/d', 'etcd.endpoints=http://127.0.0.1:2379'] });
    expect(brokerPermissions(single, {}).net).toEqual(['127.0.0.1:19093']);
  });
});
