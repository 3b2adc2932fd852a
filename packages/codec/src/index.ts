// @samsa/codec: the byte layer. Each area has its own folder and barrel.
export { DecodeError } from './decode-error.ts';
export type { DecodeErrorReason } from './decode-error.ts';
export * from './primitives/index.ts';
export * from './kafka/index.ts';
export * from './crc32c/index.ts';
export * from './record-batch/index.ts';
export * from './compression/index.ts';
export * from './rpc/index.ts';
export * from './errors/index.ts';
export * from './legacy-messages/index.ts';
