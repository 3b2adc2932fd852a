/**
 * @samsa/runtime/node/accelerators: native helpers both broker apps install into the codec
 * (through @samsa/host's installAccelerators): @node-rs/crc32's CRC-32C and node:zlib's
 * bounded gunzip. Node built-ins and a Node-API addon, which Deno runs too (the addon only
 * with --allow-ffi). Loading never throws: a missing one comes back with its reason.
 */
export { loadNativeCrc32c } from './native-crc32c.ts';
export type { Crc32cFunction } from './native-crc32c.ts';
export { GunzipError, loadNativeGunzip } from './native-gunzip.ts';
export type { GunzipFunction, GunzipModule } from './native-gunzip.ts';
export type { Loaded } from './loaded.ts';
