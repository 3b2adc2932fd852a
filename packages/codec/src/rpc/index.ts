// Barrel for src/rpc: length-prefixed framing (Kafka and cluster RPC) and msgpackr RPC frames.
export { FrameSplitter, FRAME_PREFIX_BYTES } from './frame-splitter.ts';
export type { FrameSplitterOptions } from './frame-splitter.ts';
export { RpcCodec, RpcFrameType, RPC_HEADER_BYTES, concatChunks, decodeRpcFrame, defaultRpcCodec, encodeRpcFrame } from './rpc-frame.ts';
export type { RpcCodecOptions, RpcFrame, RpcFrameInput, RpcSchema } from './rpc-frame.ts';
export { RpcFrameSplitter } from './rpc-frame-splitter.ts';
export type { RpcFrameSplitterOptions } from './rpc-frame-splitter.ts';
