import { ApiKey } from '@samsa/codec/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaConnectionError, KafkaStateError } from '../errors.ts';
import { Admin } from './admin.ts';
import { ADMIN_API_VERSIONS } from './admin-api-versions.ts';

let tb: TestBroker | undefined;
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.close();
  await tb?.stop();
  admin = undefined;
  tb = undefined;
});

describe('Admin describeCluster', () => {
  it('falls back to Metadata when DescribeCluster is not advertised, and bootstraps past a dead address', async () => {
    tb = await startTestBroker();
    const versions = new Map(ADMIN_API_VERSIONS);
    versions.delete(ApiKey.DescribeCluster);
    admin = new Admin({ transport: tb.transport, clock: tb.clock, bootstrap: ['127.0.0.1:1', `127.0.0.1:${tb.port}`], connection: { clientApiVersions: versions } });
    const cluster = await drive(tb.clock, admin.describeCluster());
    expect(cluster.controllerId).toBe(tb.broker.config.nodeId);
    expect(cluster.brokers.map((b) => [b.nodeId, b.port])).toEqual([[tb.broker.config.nodeId, tb.port]]);
    expect(cluster.clusterId).not.toBeNull();
  });

  it('no reachable broker: a retriable KafkaConnectionError after the bounded retries; closed: KafkaStateError', async () => {
    tb = await startTestBroker();
    admin = new Admin({ transport: tb.transport, clock: tb.clock, bootstrap: ['127.0.0.1:1'], retriesMax: 2 });
    const error = await drive(tb.clock, admin.describeCluster()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaConnectionError);
    await admin.close();
    await expect(admin.describeCluster()).rejects.toBeInstanceOf(KafkaStateError);
  });
});
