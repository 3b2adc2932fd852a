import { ApiKey } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import { KafkaConnectionError, KafkaStateError } from '../errors.ts';
import { ADMIN_API_VERSIONS } from './admin-api-versions.ts';

const fixture = useAdminFixture();

describe('Admin describeCluster', () => {
  it('falls back to Metadata when DescribeCluster is not advertised, and bootstraps past a dead address', async () => {
    const versions = new Map(ADMIN_API_VERSIONS);
    versions.delete(ApiKey.DescribeCluster);
    const { tb, admin } = await fixture.start({ bootstrap: (port) => ['127.0.0.1:1', `127.0.0.1:${port}`], admin: { connection: { clientApiVersions: versions } } });
    const cluster = await drive(tb.clock, admin.describeCluster());
    expect(cluster.controllerId).toBe(tb.broker.config.nodeId);
    expect(cluster.brokers.map((b) => [b.nodeId, b.port])).toEqual([[tb.broker.config.nodeId, tb.port]]);
    expect(cluster.clusterId).not.toBeNull();
  });

  it('no reachable broker: a retriable KafkaConnectionError after the bounded retries; closed: KafkaStateError', async () => {
    const { tb, admin } = await fixture.start({ bootstrap: () => ['127.0.0.1:1'], admin: { retriesMax: 2 } });
    const error = await drive(tb.clock, admin.describeCluster()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaConnectionError);
    await admin.close();
    await expect(admin.describeCluster()).rejects.toBeInstanceOf(KafkaStateError);
  });
});
