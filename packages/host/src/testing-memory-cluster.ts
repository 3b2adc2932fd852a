/**
 * Test support for in-process clusters on the memory runtime (startBrokerOn with a shared
 * SimulatedMetadataStore in place of etcd): the store as each broker sees it, and a
 * bounded poll. Used by the replication and group tests of this package.
 */
import type { MetadataStore, SimulatedMetadataStore } from '@samsa/coordinator';

/** The shared simulated store; a broker's close does not close it. */
export function sharedStoreHandle(store: SimulatedMetadataStore): MetadataStore {
  return new Proxy(store, { get: (target, key) => (key === 'close' ? async () => {} : Reflect.get(target, key, target)) });
}

/** Resolves once `done()` holds, checking between macrotasks; rejects naming `what` after `roundsMax` checks. */
export async function until(what: string, done: () => boolean, roundsMax = 20_000): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`not reached: ${what}`);
}
