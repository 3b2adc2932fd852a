/**
 * The broker's in-memory test broker (memory runtime, ManualClock), reached by path: it is
 * a test helper of @samsa/broker, not part of its API. @samsa/broker is a devDependency of
 * the client so turbo builds it first; the broker never depends on the client.
 */
export { startTestBroker } from '../../../broker/src/testing/test-broker.ts';
export type { TestBroker } from '../../../broker/src/testing/test-broker.ts';
