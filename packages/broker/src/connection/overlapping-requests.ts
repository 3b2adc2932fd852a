/**
 * Which requests of one connection may be handled while earlier ones are still in the
 * handler: Produce and OffsetCommit. Their appends wait for I/O, and the group service
 * coalesces queued __consumer_offsets appends; responses still go out in request order
 * (connection-session.ts). Every other API runs one at a time per connection.
 *
 * Looks only at the api key (the first two bytes, big-endian int16), before any decoding;
 * a frame too short to hold it does not overlap (the dispatcher rejects it).
 */
import { ApiKey } from '@samsa/codec';

export function canOverlapRequest(frame: Uint8Array): boolean {
  if (frame.byteLength < 2) return false;
  const apiKey = (frame[0]! << 8) | frame[1]!;
  return apiKey === ApiKey.Produce || apiKey === ApiKey.OffsetCommit;
}
