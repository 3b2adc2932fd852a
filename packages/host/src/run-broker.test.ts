// runBroker, the `samsa broker` body both apps share, on the memory runtime with a fake
// HostProcess: the config file and flags become the config (shortcuts win), the connect
// line names the bound address, data dir and admin port, a signal stops the broker with
// the stop line and exit 0; an unreadable file or a bad key is a usage error (exit 2); a
// failed start prints its cause once, first, and exits 1.
import { memoryRuntime } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { BrokerCommandOptions } from './broker-command.ts';
import { CliError } from './cli-error.ts';
import { lockHolderLine } from './host-process.ts';
import type { ServeHttp } from './http-server.ts';
import { runBroker } from './run-broker.ts';
import { startBrokerOn } from './start-broker-on.ts';
import { fakeHostProcess } from './testing-host-process.ts';

const flags = (o: Partial<BrokerCommandOptions>): BrokerCommandOptions => ({ logLevel: 'silent', ...o });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe('runBroker', () => {
  it('starts from the file and flags, prints the connect line, and stops cleanly on a signal', async () => {
    const runtime = memoryRuntime();
    const proc = fakeHostProcess({ '/etc/s.properties': 'listeners=PLAINTEXT://127.0.0.1:9000\nnum.partitions=3\n' });
    const serveHttp: ServeHttp = async (o) => ({ host: o.host, port: 9644, close: async () => {} });
    const running = await runBroker({
      flags: flags({ config: '/etc/s.properties', port: 9001, dataDir: 'd', adminPort: 0 }),
      process: proc,
      start: (o) => startBrokerOn(runtime, { ...o, serveHttp }),
    });
    expect(running.broker.config.numPartitions).toBe(3);
    expect(running.broker.config.logDirs).toEqual(['/cwd/d']);
    expect(proc.stdout).toEqual(['samsa broker listening on 127.0.0.1:9001 (data: d, admin http://127.0.0.1:9644/metrics)']);
    proc.raise('SIGTERM');
    await until(() => proc.exits.length > 0);
    expect(proc.exits).toEqual([0]);
    expect(proc.stdout[1]).toBe('samsa broker stopped cleanly');
    expect(await runtime.fs.stat('/cwd/d/.kafka_cleanshutdown')).not.toBeNull();
  });

  it('an unreadable --config file or an unknown key is a usage error (exit 2) naming it', async () => {
    const proc = fakeHostProcess({ '/bad.properties': 'no.such.key=1\n' });
    const start = (): never => {
      throw new Error('must not start');
    };
    const missing = await runBroker({ flags: flags({ config: '/nope.properties' }), process: proc, start }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CliError);
    expect([(missing as CliError).exitCode, (missing as CliError).message]).toEqual([2, 'cannot read --config /nope.properties: ENOENT. Check the path.']);
    const unknown = await runBroker({ flags: flags({ config: '/bad.properties' }), process: proc, start }).catch((e: unknown) => e);
    expect((unknown as CliError).exitCode).toBe(2);
    expect((unknown as CliError).message).toMatch(/^config error in "no\.such\.key" \(from \/bad\.properties or --override\)/);
  });

  it('a failed start prints its cause once, before the error, and exits 1', async () => {
    const runtime = memoryRuntime();
    const blocker = await runtime.transport.listen({ host: '127.0.0.1', port: 9092 }, (c) => c.destroy());
    const proc = fakeHostProcess();
    const failed = await runBroker({ flags: flags({ dataDir: '/data' }), process: proc, start: (o) => startBrokerOn(runtime, o) }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CliError);
    expect([(failed as CliError).exitCode, (failed as CliError).printed]).toEqual([1, true]);
    expect(proc.stderr).toEqual([`samsa: ${(failed as CliError).message}`]);
    expect(proc.stderr[0]).toMatch(/^samsa: cannot listen: 127\.0\.0\.1:9092 is already in use/);
    expect(proc.stdout).toEqual([]);
    await blocker.close();
  });

  it('names the process in the data-dir lock line', () => {
    expect(lockHolderLine({ pid: 7, hostname: () => 'h', runtimeName: 'deno' }, Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('pid=7 host=h runtime=deno started=2026-01-02T03:04:05.000Z');
  });
});
