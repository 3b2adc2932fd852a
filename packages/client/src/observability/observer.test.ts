// The logger and metrics hooks: unit behaviour of Observer (a throwing hook is reported once
// and never breaks the caller; consoleLogger filters by level), and the hooks fired by a real
// producer, consumer and group against the in-process test broker — every field checked
// against what the test did.
import { createRandom } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { Consumer } from '../consumer/consumer.ts';
import { Producer } from '../producer/producer.ts';
import { stringSerde } from '../serde/serializers.ts';
import { consoleLogger } from './logger.ts';
import type { LogLevel } from './logger.ts';
import type { ConnectionMetric, FetchedRecordsMetric, ProducedBatchMetric, RebalanceMetric, RequestMetric } from './metrics.ts';
import { Observer } from './observer.ts';

describe('Observer', () => {
  it('a throwing metrics hook is logged once and never reaches the caller', () => {
    const logged: string[] = [];
    let calls = 0;
    const o = new Observer({
      logger: { log: (level, message) => logged.push(`${level} ${message}`) },
      metrics: {
        onRebalance: () => {
          calls++;
          throw new Error('boom');
        },
      },
    });
    for (let i = 0; i < 3; i++) o.rebalance({ groupId: 'g', generationId: 1, event: 'assigned', partitions: 2 });
    expect(calls).toBe(3);
    expect(logged).toEqual(['warn metrics hook onRebalance threw; later errors from it are ignored']);
  });

  it('a throwing logger is swallowed; no hooks means requests are not timed', () => {
    const o = new Observer({ logger: { log: () => { throw new Error('disk full'); } } });
    expect(() => o.log('error', 'x')).not.toThrow();
    expect(o.measuresRequests).toBe(false);
    expect(new Observer({ metrics: { onRequest: () => {} } }).measuresRequests).toBe(true);
  });

  it('consoleLogger writes the levels at and above its minimum only', () => {
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    const saved = levels.map((l) => console[l]);
    const calls: unknown[][] = [];
    for (const l of levels) console[l] = (...args: unknown[]) => void calls.push([l, ...args]);
    try {
      const log = consoleLogger('warn');
      for (const l of levels) log.log(l, `m-${l}`, { n: 1 });
    } finally {
      levels.forEach((l, i) => (console[l] = saved[i]!));
    }
    expect(calls).toEqual([
      ['warn', '[samsa-client] warn m-warn', { n: 1 }],
      ['error', '[samsa-client] error m-error', { n: 1 }],
    ]);
  });
});

describe('hooks fired by the clients', () => {
  let tb: TestBroker | undefined;
  afterEach(async () => {
    await tb?.stop();
    tb = undefined;
  });

  it('producer, consumer and group report requests, connections, batches, fetched records and rebalances', async () => {
    tb = await startTestBroker({ overrides: ['num.partitions=2'] });
    const requests: RequestMetric[] = [];
    const connections: ConnectionMetric[] = [];
    const batches: ProducedBatchMetric[] = [];
    const fetched: FetchedRecordsMetric[] = [];
    const rebalances: RebalanceMetric[] = [];
    const logs: string[] = [];
    const metrics = {
      onRequest: (m: RequestMetric) => requests.push(m),
      onConnection: (m: ConnectionMetric) => connections.push(m),
      onProducedBatch: (m: ProducedBatchMetric) => batches.push(m),
      onFetchedRecords: (m: FetchedRecordsMetric) => fetched.push(m),
      onRebalance: (m: RebalanceMetric) => rebalances.push(m),
    };
    const logger = { log: (level: LogLevel, message: string) => logs.push(`${level} ${message}`) };
    const bootstrap = [`127.0.0.1:${tb.port}`];
    const producer = new Producer({ transport: tb.transport, clock: tb.clock, random: createRandom(7), bootstrap, lingerMs: 0, metrics, logger });
    const sent = await drive(tb.clock, producer.send({ topic: 't', messages: [0, 1, 2].map((i) => ({ value: stringSerde.serialize(`v${i}`), partition: 1 })) }));
    expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ topic: 't', partition: 1, records: 3, attempts: 1, errorCode: 0 });
    expect(batches[0]!.bytes).toBeGreaterThan(61);
    const produce = requests.filter((r) => r.api === 'Produce');
    expect(produce).toHaveLength(1);
    expect(produce[0]).toMatchObject({ broker: bootstrap[0], apiKey: 0, outcome: 'ok' });
    expect(produce[0]!.requestBytes).toBeGreaterThan(batches[0]!.bytes - 20);
    expect(produce[0]!.responseBytes).toBeGreaterThan(0);
    expect(requests.some((r) => r.api === 'ApiVersions') && requests.some((r) => r.api === 'Metadata')).toBe(true);
    expect(connections.filter((c) => c.event === 'open').length).toBeGreaterThanOrEqual(1);
    await drive(tb.clock, producer.close());

    const consumer = new Consumer({
      transport: tb.transport, clock: tb.clock, bootstrap, groupId: 'g', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50,
      heartbeatIntervalMs: 100, metrics, logger,
    });
    consumer.subscribe(['t']);
    const batch = await drive(tb.clock, consumer.next());
    expect(batch.partition).toBe(1);
    expect(fetched).toEqual([{ topic: 't', partition: 1, records: 3, bytes: fetched[0]!.bytes, lagRecords: 0 }]);
    expect(fetched[0]!.bytes).toBeGreaterThan(61);
    expect(rebalances).toEqual([{ groupId: 'g', generationId: 1, event: 'assigned', partitions: 2 }]);
    expect(logs).toContain('info partitions assigned');
    await drive(tb.clock, consumer.close());
    expect(rebalances.at(-1)).toMatchObject({ event: 'revoked', partitions: 2 });
    expect(connections.filter((c) => c.event === 'close').length).toBeGreaterThanOrEqual(1);
  });
});
