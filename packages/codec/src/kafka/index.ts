// Barrel for src/kafka: the generated Kafka message codecs, their registry by api key,
// one-shot encode/decode helpers, and request/response headers and frames.
export * from './generated/index.ts';
export { apiByKey } from './generated/registry.ts';
export { ApiKey } from './generated/api-keys.ts';
export type { ApiName, ApiKeyValue } from './generated/api-keys.ts';
export type { ApiEntry } from './generated/registry.ts';
export type { MessageCodec, MessageMeta, TaggedField } from './message-codec.ts';
export { isFlexible } from './message-codec.ts';
export { encodeMessage, decodeMessage } from './encode-decode.ts';
export { requestHeaderVersion, responseHeaderVersion, peekRequestHeader, peekClientId, PEEKED_CLIENT_ID_CHARS_MAX, REQUEST_FIXED_HEADER_BYTES, decodeRequestFrame, decodeRequest, encodeRequestFrame, encodeResponseFrame, encodeResponseFrameChunks, SPLICE_BYTES_MIN_DEFAULT, decodeResponseFrame, RequestFrameError } from './frames.ts';
export type { RequestFrame, RequestIds, DecodedRequest } from './frames.ts';
