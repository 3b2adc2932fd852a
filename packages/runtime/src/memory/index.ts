/**
 * @samsa/runtime/memory: everything in memory, for tests, simulation and edge runtimes.
 *
 * MemoryFileSystem crashes and fails on command (LazyFS model, see memory-file-system.ts);
 * ManualClock moves only when told. Nothing here touches the host beyond ECMAScript.
 */
export { MemoryFileSystem, type CrashOptions, type MemoryFileSystemOptions } from './memory-file-system.ts';
export type { FaultOp, FaultRule, RandomFaultRule } from './fault-plan.ts';
export type { TearMode } from './memory-inodes.ts';
export { ManualClock, type ManualClockOptions } from './manual-clock.ts';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.ts';
export { memoryRuntime, type MemoryRuntime, type MemoryRuntimeOptions } from './memory-runtime.ts';
