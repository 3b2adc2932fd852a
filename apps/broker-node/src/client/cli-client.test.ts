// The CLI's client setup: compression names (exit 2 for an unknown one) and a bootstrap
// address nobody listens on failing fast as exit 1 with the hint to start a broker.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CliError } from '@samsa/host/cli';
import { compressionFor, COMPRESSION_NAMES, connectedConsumer, connectedProducer, withAdmin } from './cli-client.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<CliError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('compressionFor', () => {
  it('takes the five codec names and refuses anything else with exit 2', () => {
    for (const name of COMPRESSION_NAMES) expect(compressionFor(name)).toBe(name);
    const error = (() => {
      try {
        return compressionFor('brotli');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toContain('brotli');
  });
});

describe('no broker at the bootstrap address', () => {
  it('admin, producer and consumer each fail at once with exit 1 and say how to start one', async () => {
    const bootstrap = `127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    let ran = false;
    const failures = [
      await rejection(withAdmin({ bootstrap }, async () => (ran = true))),
      await rejection(connectedProducer({ bootstrap }, { acks: -1, idempotent: false, compression: 'none' })),
      await rejection(connectedConsumer({ bootstrap }, {})),
    ];
    expect(ran).toBe(false);
    for (const error of failures) {
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain(`could not reach a broker at ${bootstrap}`);
      expect(error.message).toContain('samsa broker');
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
