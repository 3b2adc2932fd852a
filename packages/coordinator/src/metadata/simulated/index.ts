// The simulated metadata store: deterministic, in memory, with injected faults.
export { SimulatedMetadataStore, type SimulatedMetadataStoreOptions } from './simulated-metadata-store.ts';
export { FaultInjector, armedFaultsMax, type SimulatedFaultConfig, type WriteFault } from './faults.ts';
export type { KvSnapshot } from './kv-state.ts';
