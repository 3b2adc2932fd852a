// @samsa/codec/wire: the Kafka wire layer — everything in @samsa/codec except Samsa's
// internal RPC frames (src/rpc's msgpackr codec). A Kafka client imports this entry so it
// does not load msgpackr, whose Node build reads an environment variable at import
// (a Deno script with only --allow-net would need --allow-env for it).
export { DecodeError } from './decode-error.ts';
export type { DecodeErrorReason } from './decode-error.ts';
export * from './primitives/index.ts';
export * from './kafka/index.ts';
export * from './crc32c/index.ts';
export * from './record-batch/index.ts';
export * from './compression/index.ts';
export * from './errors/index.ts';
export * from './legacy-messages/index.ts';
// Kafka's length-prefixed framing (no msgpackr in it).
export { FrameSplitter, FRAME_PREFIX_BYTES } from './rpc/frame-splitter.ts';
export type { FrameSplitterOptions } from './rpc/frame-splitter.ts';
