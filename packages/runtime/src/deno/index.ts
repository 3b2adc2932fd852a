/**
 * @samsa/runtime/deno: the Runtime on Deno (Deno.open files, Deno.listen/connect).
 * Type-checks under Node too: the Deno API it uses is declared in deno-types.ts.
 *
 *   const runtime = denoRuntime({ seed: 42 });
 */
import { systemClock } from '../clock.ts';
import { createRandom, randomSeed } from '../random.ts';
import type { Runtime } from '../runtime.ts';
import { DenoFileSystem } from './deno-file-system.ts';
import { DenoTransport } from './deno-transport.ts';
import { deno } from './deno-types.ts';

export { DenoFileSystem } from './deno-file-system.ts';
export { DenoTransport } from './deno-transport.ts';

export interface DenoRuntimeOptions {
  /** Seed of `random`; a fresh one from crypto when omitted. */
  readonly seed?: number;
}

export function denoRuntime(options: DenoRuntimeOptions = {}): Runtime {
  return {
    name: 'deno',
    fs: new DenoFileSystem(),
    transport: new DenoTransport(),
    clock: systemClock,
    random: createRandom(options.seed ?? randomSeed()),
  };
}

/** A fresh directory under the OS temp dir, for tests and benchmarks; the caller removes it. */
export function makeTempDir(prefix = 'samsa-'): Promise<string> {
  return deno().makeTempDir({ prefix });
}
