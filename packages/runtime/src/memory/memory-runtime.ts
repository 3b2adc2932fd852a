/**
 * memoryRuntime: a whole Runtime in memory — MemoryFileSystem, MemoryTransport, a
 * ManualClock and a seeded Random. The concrete types stay visible (`runtime.fs.crash()`,
 * `runtime.clock.advance()`) so tests and the simulator can drive them.
 */
import { createRandom, randomSeed, type Random } from '../random.ts';
import type { Runtime } from '../runtime.ts';
import { ManualClock, type ManualClockOptions } from './manual-clock.ts';
import { MemoryFileSystem, type MemoryFileSystemOptions } from './memory-file-system.ts';
import { MemoryTransport, type MemoryTransportOptions } from './memory-transport.ts';

export interface MemoryRuntimeOptions {
  /** Seed of `random`; a fresh one from crypto when omitted (read it back from `random.seed`). */
  readonly seed?: number;
  readonly clock?: ManualClockOptions;
  /** File system options; its clock defaults to the runtime's ManualClock. */
  readonly fs?: MemoryFileSystemOptions;
  readonly transport?: MemoryTransportOptions;
  /** Share one network between several runtimes (simulated brokers). */
  readonly network?: MemoryTransport;
}

export interface MemoryRuntime extends Runtime {
  readonly name: 'memory';
  readonly fs: MemoryFileSystem;
  readonly transport: MemoryTransport;
  readonly clock: ManualClock;
  readonly random: Random;
}

export function memoryRuntime(options: MemoryRuntimeOptions = {}): MemoryRuntime {
  const clock = new ManualClock(options.clock);
  return {
    name: 'memory',
    fs: new MemoryFileSystem({ clock, ...options.fs }),
    transport: options.network ?? new MemoryTransport(options.transport),
    clock,
    random: createRandom(options.seed ?? randomSeed()),
  };
}
