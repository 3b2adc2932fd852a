/**
 * The runtime contract: one definition of what every adapter of @samsa/runtime must do,
 * written only against the interfaces. Run under Node by node-memory.test.ts (vitest) and
 * under Deno by test/deno/runtime-contract.test.ts (deno test, through the vitest shim).
 *
 * Each `define…Contract(name, make…)` registers a describe block; the factory gives a
 * fresh instance per test (a temp directory for real file systems) and a cleanup.
 * Network tests use 127.0.0.1 only, with bounded sizes and timeouts.
 *
 * One file per seam: file-system-contract.ts, transport-contract.ts, clock-contract.ts,
 * runtime-contract.ts (shared helpers in contract-helpers.ts); this file gathers them.
 */
export { errorCode } from './contract-helpers.ts';
export { defineClockContract, type ClockFixture } from './clock-contract.ts';
export { defineFileSystemContract, type FileSystemFixture } from './file-system-contract.ts';
export { defineRuntimeContract } from './runtime-contract.ts';
export { defineTransportContract, type TransportFixture } from './transport-contract.ts';
