import type { Clock } from './clock.ts';
import type { FileSystem } from './file-system.ts';
import type { Random } from './random.ts';
import type { Transport } from './transport.ts';

/** Everything a core package may take from its host. Adapters build one of these. */
export interface Runtime {
  readonly name: 'node' | 'deno' | 'memory';
  readonly fs: FileSystem;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
}
