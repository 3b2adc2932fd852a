// @samsa/sim: the whole-cluster simulator (see README.md).
export { runSimulation, replayCommand, plants, eventsPerRunMax, safetyMsDefault, brokersDefault, type Plant, type SimulationOptions, type SimulationResult } from './simulation.ts';
export { Invariants, Violation, type PartitionFacts } from './invariants.ts';
export { SimClock, NodeClock } from './sim-clock.ts';
export { SimNetwork, NodeTransport, calmNetwork, type NetworkFaultConfig } from './sim-network.ts';
export { SimDisk, ProcessFileSystem } from './sim-disk.ts';
export { ProcessStore, type StoreObserver } from './sim-store.ts';
export { SimBroker } from './sim-broker.ts';
export { SimProducer, SimConsumer } from './sim-clients.ts';
export { WireClient, WireError } from './wire-client.ts';
export { Trace } from './trace.ts';
