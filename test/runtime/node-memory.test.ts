// Runs the runtime contract (contract.ts) under Node against the node and memory adapters.
// The same contract runs under Deno in test/deno/runtime-contract.test.ts.
import { systemClock } from '../../packages/runtime/src/clock.ts';
import { ManualClock, MemoryFileSystem, MemoryTransport, memoryRuntime } from '../../packages/runtime/src/memory/index.ts';
import { NodeFileSystem, NodeTransport, makeTempDir, nodeRuntime } from '../../packages/runtime/src/node/index.ts';
import { defineClockContract, defineFileSystemContract, defineRuntimeContract, defineTransportContract } from './contract.ts';

defineFileSystemContract('node', async () => {
  const fs = new NodeFileSystem();
  const root = await makeTempDir('samsa-contract-');
  return { fs, root, cleanup: () => fs.remove(root, { recursive: true }) };
});

defineFileSystemContract('memory', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  return { fs, root: '/data', cleanup: async () => undefined };
});

defineTransportContract('node', async () => ({ transport: new NodeTransport(), cleanup: async () => undefined }));
defineTransportContract('memory', async () => ({ transport: new MemoryTransport(), cleanup: async () => undefined }));

defineClockContract('system', () => ({
  clock: systemClock,
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));
defineClockContract('manual', () => {
  const clock = new ManualClock();
  return { clock, advance: (ms) => clock.advanceAsync(ms) };
});

defineRuntimeContract('node', (seed) => nodeRuntime({ seed }));
defineRuntimeContract('memory', (seed) => memoryRuntime({ seed }));
