// startBrokerOn's start sequence on the memory runtime (issue 11, defects 2 and 4):
// - a failed start reports its cause (onStartFailure) before it closes anything it
//   opened: at the report no log has been closed yet, afterwards they are, and the
//   listener, admin port and data-dir lock are released (a new start succeeds);
// - a port in use fails the start before any log is opened: no file under the data dir
//   but `.lock` is touched.
import { parseServerConfig, silentLogger } from '@samsa/broker';
import { buildRecordBatch } from '@samsa/codec';
import { memoryRuntime } from '@samsa/runtime/memory';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { HttpHandler, ServeHttp } from './http-server.ts';
import { startBrokerOn } from './start-broker-on.ts';

/** A ServeHttp without sockets: keeps the handler so the test calls it with a Request. */
function fakeServeHttp(): { serveHttp: ServeHttp; handler: () => HttpHandler } {
  let handler: HttpHandler | null = null;
  return {
    serveHttp: async (o) => {
      handler = o.handler;
      return { host: o.host, port: o.port === 0 ? 9644 : o.port, close: async () => {} };
    },
    handler: () => handler!,
  };
}

const config = (port: number) => parseServerConfig({ overrides: [`listeners=PLAINTEXT://127.0.0.1:${port}`, 'log.dirs=/data'] });
const MUTATING: readonly FaultOp[] = ['append', 'write', 'truncate', 'rename', 'remove', 'syncDir', 'sync', 'close'];

describe('startBrokerOn: start sequence', () => {
  it('a start that fails after opening logs reports the cause first, then closes what it opened', async () => {
    const runtime = memoryRuntime();
    const first = await startBrokerOn(runtime, { config: config(9092), logger: silentLogger });
    await first.broker.registry.createTopic('t', 4, {});
    const value = new TextEncoder().encode('v');
    for (let p = 0; p < 4; p++) {
      const outcome = await first.broker.registry.partition('t', p)!.produce(buildRecordBatch([{ value }]));
      expect(outcome.errorCode).toBe(0);
    }
    await first.shutdown();

    // The 3rd segment read fails: producer-state rebuild of a partition after some logs are open.
    runtime.fs.failOn({ op: 'read', nth: 3, code: 'io' });
    const events: string[] = [];
    let closesAtReport = -1;
    const failed = await startBrokerOn(runtime, {
      config: config(9092),
      logger: silentLogger,
      onStartFailure: (error) => {
        closesAtReport = runtime.fs.opCount('close');
        events.push(`reported: ${(error as Error).message}`);
      },
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('reported:');
    // Closing the logs (handles, checkpoints) happened after the report.
    expect(runtime.fs.opCount('close')).toBeGreaterThan(closesAtReport);

    runtime.fs.clearFaults();
    const again = await startBrokerOn(runtime, { config: config(9092), adminPort: 0, serveHttp: fakeServeHttp().serveHttp, logger: silentLogger });
    expect(again.broker.registry.topic('t')?.partitions.length).toBe(4);
    await again.shutdown();
  });

  it('an admin port without a runtime HTTP server is refused before anything is opened', async () => {
    const runtime = memoryRuntime();
    const opensBefore = runtime.fs.opCount('open');
    await expect(startBrokerOn(runtime, { config: config(9092), adminPort: 0, logger: silentLogger })).rejects.toThrow(/adminPort needs serveHttp/);
    expect(runtime.fs.opCount('open')).toBe(opensBefore);
  });

  it('a port in use fails before any log is opened: only the lock file is written', async () => {
    const runtime = memoryRuntime();
    const first = await startBrokerOn(runtime, { config: config(9092), logger: silentLogger });
    await first.broker.registry.createTopic('t', 2, {});
    await first.shutdown();
    const blocker = await runtime.transport.listen({ host: '127.0.0.1', port: 9093 }, (c) => c.destroy());
    const opensBefore = runtime.fs.opCount('open');
    const mutatedBefore = MUTATING.map((op) => runtime.fs.opCount(op));
    const reported: unknown[] = [];
    const failed = await startBrokerOn(runtime, { config: config(9093), logger: silentLogger, onStartFailure: (e) => reported.push(e) }).catch((e: unknown) => e);
    expect((failed as { code?: string }).code).toBe('address-in-use');
    expect(reported).toEqual([failed]);
    // One open (the lock file) and its holder line; no log, checkpoint or marker touched.
    expect(runtime.fs.opCount('open') - opensBefore).toBeLessThanOrEqual(2);
    const mutatedAfter = MUTATING.map((op) => runtime.fs.opCount(op));
    expect(mutatedAfter.reduce((a, b) => a + b, 0) - mutatedBefore.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
    expect(await runtime.fs.stat('/data/.kafka_cleanshutdown')).not.toBeNull();
    await blocker.close();
  });

  it('/healthz shows the free space as soon as the broker is up (read once at open, not at the first write)', async () => {
    const runtime = memoryRuntime({ fs: { capacityBytes: 16 * 1024 * 1024 } });
    const http = fakeServeHttp();
    const running = await startBrokerOn(runtime, { config: config(9092), adminPort: 0, serveHttp: http.serveHttp, logger: silentLogger });
    try {
      expect([running.admin?.host, running.admin?.port]).toEqual(['127.0.0.1', 9644]);
      const res = await http.handler()(new Request(`http://${running.admin!.host}:${running.admin!.port}/healthz`));
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^ok\ndisk: ok, \d+ bytes free of 16777216, min \d+\n$/);
      await running.shutdown();
      expect((await http.handler()(new Request('http://127.0.0.1:9644/healthz'))).status).toBe(503);
    } finally {
      await running.shutdown();
    }
  });
});
