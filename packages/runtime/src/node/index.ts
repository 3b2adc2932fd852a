/**
 * @samsa/runtime/node: the Runtime on Node (node:fs/promises file descriptors, node:net).
 *
 *   const runtime = nodeRuntime();            // random seed from crypto
 *   const runtime = nodeRuntime({ seed: 42 }); // reproducible Random
 */
import { systemClock } from '../clock.ts';
import { createRandom, randomSeed } from '../random.ts';
import type { Runtime } from '../runtime.ts';
import { NodeFileSystem } from './node-file-system.ts';
import { NodeTransport } from './node-transport.ts';

export { NodeFileSystem } from './node-file-system.ts';
export { NodeTransport } from './node-transport.ts';
export { makeTempDir } from './temp-dir.ts';

export interface NodeRuntimeOptions {
  /** Seed of `random`; a fresh one from crypto when omitted. */
  readonly seed?: number;
}

export function nodeRuntime(options: NodeRuntimeOptions = {}): Runtime {
  return {
    name: 'node',
    fs: new NodeFileSystem(),
    transport: new NodeTransport(),
    clock: systemClock,
    random: createRandom(options.seed ?? randomSeed()),
  };
}
