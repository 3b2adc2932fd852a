/**
 * One-shot helpers over a MessageCodec: `encodeMessage` sizes once, allocates exactly and
 * writes; `decodeMessage` reads a whole body and throws DecodeError on any failure,
 * including bytes left over.
 */
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import type { MessageCodec } from './message-codec.ts';

export function encodeMessage<T>(codec: MessageCodec<T>, msg: T, version: number): Uint8Array {
  const w = new Writer(codec.size(msg, version));
  codec.write(w, msg, version);
  return w.finish();
}

/** Decodes `bytes` (exactly one body). bytes/records fields are views into `bytes`. */
export function decodeMessage<T>(codec: MessageCodec<T>, bytes: Uint8Array, version: number): T {
  const r = new Reader(bytes, codec.name, version);
  const msg = codec.read(r, version);
  const err = r.complete();
  if (err !== null) throw err;
  return msg;
}
