import { ErrorCode } from '@samsa/codec/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaAbortError, KafkaError, KafkaStateError } from '../errors.ts';
import { Cluster } from './cluster.ts';
import { drive } from '../../test/support/drive.ts';

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe('Cluster against the test broker', () => {
  it('bootstraps past a dead address, auto-creates a topic and knows its leaders', async () => {
    tb = await startTestBroker({ overrides: ['num.partitions=3'] });
    const cluster = new Cluster({ transport: tb.transport, clock: tb.clock, bootstrap: ['127.0.0.1:1', `127.0.0.1:${tb.port}`] });
    const topic = await drive(tb.clock, cluster.topic('orders'));
    expect(topic.partitions).toHaveLength(3);
    const leader = cluster.leaderFor('orders', 2);
    expect(leader).toBe(cluster.metadata.brokers()[0]!.nodeId);
    const a = await cluster.connection(leader!);
    const b = await cluster.connection(leader!);
    expect(a).toBe(b);
    await a.close();
    const c = await cluster.connection(leader!);
    expect(c).not.toBe(a);
    expect(c.isClosed).toBe(false);
    await cluster.close();
    await expect(cluster.connection(leader!)).rejects.toBeInstanceOf(KafkaStateError);
  });

  it('rejects a non-retriable topic error at once', async () => {
    tb = await startTestBroker();
    const cluster = new Cluster({ transport: tb.transport, clock: tb.clock, bootstrap: [`127.0.0.1:${tb.port}`] });
    const error = await drive(tb.clock, cluster.topic('bad topic name!')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    await cluster.close();
  });

  it('an aborted wait rejects with KafkaAbortError', async () => {
    tb = await startTestBroker();
    const cluster = new Cluster({ transport: tb.transport, clock: tb.clock, bootstrap: [`127.0.0.1:${tb.port}`] });
    const controller = new AbortController();
    controller.abort();
    await expect(cluster.topic('x', { signal: controller.signal })).rejects.toBeInstanceOf(KafkaAbortError);
    await cluster.close();
  });
});
