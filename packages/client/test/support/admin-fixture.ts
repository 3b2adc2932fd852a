/**
 * The admin tests' setup in one place: `useAdminFixture()` (called at a test file's top
 * level) registers an afterEach that closes every Admin and stops every test broker the
 * test started, also when it failed; `start()` starts a broker (ManualClock, memory
 * runtime) and an Admin bootstrapped from it.
 */
import type { Transport } from '@samsa/runtime';
import { afterEach } from 'vitest';
import { Admin } from '../../src/admin/admin.ts';
import type { AdminOptions } from '../../src/admin/admin-options.ts';
import { startTestBroker } from './test-broker.ts';
import type { TestBroker } from './test-broker.ts';

export interface AdminSetup {
  readonly tb: TestBroker;
  readonly admin: Admin;
}

export interface AdminStartOptions {
  /** Broker config lines, `key=value`. */
  readonly overrides?: readonly string[];
  /** Admin options on top of transport, clock and bootstrap. */
  readonly admin?: Partial<AdminOptions>;
  /** Default: the broker's own address. */
  readonly bootstrap?: (port: number) => string[];
  /** Wraps the broker's transport (fault injection). */
  readonly transport?: (inner: Transport) => Transport;
}

export interface AdminFixture {
  start(options?: AdminStartOptions): Promise<AdminSetup>;
}

export function useAdminFixture(): AdminFixture {
  const started: AdminSetup[] = [];
  afterEach(async () => {
    for (const { tb, admin } of started.splice(0).reverse()) {
      await admin.close();
      await tb.stop();
    }
  });
  return {
    async start(options = {}) {
      const tb = await startTestBroker(options.overrides === undefined ? {} : { overrides: [...options.overrides] });
      const transport = options.transport?.(tb.transport) ?? tb.transport;
      const bootstrap = options.bootstrap?.(tb.port) ?? [`127.0.0.1:${tb.port}`];
      const admin = new Admin({ transport, clock: tb.clock, bootstrap, ...options.admin });
      started.push({ tb, admin });
      return { tb, admin };
    },
  };
}
