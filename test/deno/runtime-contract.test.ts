// Runs the runtime contract (test/runtime/contract.ts) under Deno against the deno and
// memory adapters. The same contract runs under Node in test/runtime/node-memory.test.ts.
import { systemClock } from '../../packages/runtime/src/clock.ts';
import { DenoFileSystem, DenoTransport, denoRuntime, makeTempDir } from '../../packages/runtime/src/deno/index.ts';
import { ManualClock, MemoryFileSystem, MemoryTransport, memoryRuntime } from '../../packages/runtime/src/memory/index.ts';
import { defineClockContract, defineFileSystemContract, defineRuntimeContract, defineTransportContract } from '../runtime/contract.ts';

defineFileSystemContract('deno', async () => {
  const fs = new DenoFileSystem();
  const root = await makeTempDir('samsa-contract-');
  return { fs, root, cleanup: () => fs.remove(root, { recursive: true }) };
});

defineFileSystemContract('memory', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  return { fs, root: '/data', cleanup: async () => undefined };
});

defineTransportContract('deno', async () => ({ transport: new DenoTransport(), cleanup: async () => undefined }));
defineTransportContract('memory', async () => ({ transport: new MemoryTransport(), cleanup: async () => undefined }));

defineClockContract('system', () => ({
  clock: systemClock,
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));
defineClockContract('manual', () => {
  const clock = new ManualClock();
  return { clock, advance: (ms) => clock.advanceAsync(ms) };
});

defineRuntimeContract('deno', (seed) => denoRuntime({ seed }));
defineRuntimeContract('memory', (seed) => memoryRuntime({ seed }));
