/**
 * RPC frames: the envelope of Samsa's cluster-internal protocol (Raft, broker registration
 * and heartbeats, replica fetch, metadata), a msgpackr body plus raw byte attachments.
 *
 * Byte layout (integers big-endian):
 *
 *   offset  size  field
 *   0       4     frameLength       bytes after this field (the FrameSplitter prefix)
 *   4       1     frameType         0 request, 1 response, 2 oneway
 *   5       4     requestId         u32, echoed by the response; any value for oneway
 *   9       2     schemaVersion     u16, selects the msgpackr structure list (below)
 *   11      4     bodyBytes         u32, length of the msgpackr body
 *   15      2     attachmentCount   u16
 *   17      4×n   attachmentBytes   u32 each
 *   17+4n   ...   body              msgpackr, records extension on
 *   ...     ...   attachments       raw bytes, back to back, in order
 *
 * frameLength = 13 + 4n + bodyBytes + Σ attachmentBytes exactly (else 'bad-length').
 *
 * Attachments carry record batches as the bytes they are, never re-encoded: encoding
 * returns them as separate chunks after the header+body chunk (so a transport can writev
 * them without copying: a 1 MiB fetch response costs one small header allocation), and
 * decoding returns them as plain Uint8Array views of the frame (no copy, even when the
 * transport delivered a Node Buffer). Binary values inside the body also decode as views
 * (Buffers on Node), but belong in attachments when they are large.
 *
 * Records and schema versions: bodies are packed with msgpackr's record extension. Each
 * schema version may declare a list of shared structures (key lists of the common message
 * shapes); a shape in the list is written as a 1-byte reference, any other shape carries
 * its definition inline in that frame, so every frame decodes on its own. The list of a
 * version is frozen: peers must hold the identical list for a version (append shapes only
 * under a new schemaVersion), and a codec rejects versions it does not know.
 *
 * Decoding throws only DecodeError (api "RpcFrame"). A codec is not reentrant-safe across
 * threads but may be shared by all connections of a process (each call is synchronous).
 */
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { DecodeError } from '../decode-error.ts';
import { FRAME_PREFIX_BYTES } from './frame-splitter.ts';

export const RpcFrameType = { request: 0, response: 1, oneway: 2 } as const;
export type RpcFrameType = 0 | 1 | 2;

export interface RpcFrame<Body = unknown> {
  readonly type: RpcFrameType;
  readonly requestId: number;
  readonly schemaVersion: number;
  readonly body: Body;
  readonly attachments: readonly Uint8Array[];
}

export interface RpcFrameInput<Body = unknown> {
  readonly type: RpcFrameType;
  readonly requestId: number;
  readonly schemaVersion: number;
  readonly body: Body;
  readonly attachments?: readonly Uint8Array[];
}

/** The shared msgpackr structures of one schema version: key lists of common shapes. */
export interface RpcSchema {
  readonly version: number;
  readonly structures: readonly (readonly string[])[];
}

export interface RpcCodecOptions {
  /** Known schema versions. Omitted: every version is accepted, with no shared structures. */
  readonly schemas?: readonly RpcSchema[];
}

/** Fixed header bytes including the 4-byte length prefix, before the attachment table. */
export const RPC_HEADER_BYTES = 17;
const PAYLOAD_HEADER_BYTES = RPC_HEADER_BYTES - FRAME_PREFIX_BYTES;
const ATTACHMENTS_MAX = 0xffff;
const FRAME_LENGTH_MAX = 0x7fffffff;
const API = 'RpcFrame';
/** The most bytes msgpackr can reserve in front of a packed value. */
const RESERVE_START_MAX = 0xff;
/** msgpackr's hard limit on shared structures. */
const SHARED_STRUCTURES_MAX = 8160;

interface VersionCodec {
  readonly packr: Packr;
  readonly unpackr: Unpackr;
}

export class RpcCodec {
  private readonly schemas: ReadonlyMap<number, RpcSchema> | null;
  private readonly codecs = new Map<number, VersionCodec>();

  constructor(options: RpcCodecOptions = {}) {
    if (options.schemas === undefined) {
      this.schemas = null;
      return;
    }
    const schemas = new Map<number, RpcSchema>();
    for (const schema of options.schemas) {
      checkU16(schema.version, 'schema version');
      if (schemas.has(schema.version)) throw new RangeError(`schema version ${schema.version} declared twice`);
      if (schema.structures.length > SHARED_STRUCTURES_MAX) throw new RangeError(`at most ${SHARED_STRUCTURES_MAX} shared structures`);
      schemas.set(schema.version, schema);
    }
    this.schemas = schemas;
  }

  /**
   * Encodes a frame as chunks for a vectored write: [length prefix + header + body, ...attachments].
   * The attachments are the caller's arrays, not copies: they must stay unchanged until written.
   */
  encode(frame: RpcFrameInput): Uint8Array[] {
    if (frame.type !== 0 && frame.type !== 1 && frame.type !== 2) throw new RangeError(`bad frame type ${String(frame.type)}`);
    if (!Number.isInteger(frame.requestId) || frame.requestId < 0 || frame.requestId > 0xffffffff) throw new RangeError(`requestId ${frame.requestId} is not a u32`);
    const codec = this.versionCodec(frame.schemaVersion);
    if (codec === undefined) throw new RangeError(`schema version ${frame.schemaVersion} is not known to this codec`);
    const attachments = frame.attachments ?? [];
    if (attachments.length > ATTACHMENTS_MAX) throw new RangeError(`at most ${ATTACHMENTS_MAX} attachments`);
    const headerBytes = RPC_HEADER_BYTES + 4 * attachments.length;
    // msgpackr can leave up to 255 free bytes in front of the body: the header goes there,
    // so header + body are one chunk without copying the body.
    const reserved = headerBytes <= RESERVE_START_MAX;
    const packed = reserved ? codec.packr.pack(frame.body, RESERVE_START_SPACE | headerBytes) : codec.packr.pack(frame.body);
    const bodyBytes = reserved ? packed.length - headerBytes : packed.length;
    let frameLength = headerBytes - FRAME_PREFIX_BYTES + bodyBytes;
    for (const attachment of attachments) frameLength += attachment.length;
    if (frameLength > FRAME_LENGTH_MAX) throw new RangeError(`frame of ${frameLength} bytes exceeds 2^31 - 1`);
    let head: Uint8Array;
    if (reserved) {
      head = new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
    } else {
      head = new Uint8Array(headerBytes + bodyBytes);
      head.set(packed, headerBytes);
    }
    const view = new DataView(head.buffer, head.byteOffset, headerBytes);
    view.setUint32(0, frameLength);
    head[4] = frame.type;
    view.setUint32(5, frame.requestId);
    view.setUint16(9, frame.schemaVersion);
    view.setUint32(11, bodyBytes);
    view.setUint16(15, attachments.length);
    for (let i = 0; i < attachments.length; i++) view.setUint32(RPC_HEADER_BYTES + 4 * i, attachments[i]!.length);
    const chunks: Uint8Array[] = [head];
    for (const attachment of attachments) chunks.push(attachment);
    return chunks;
  }

  /** Decodes one whole frame, length prefix included. */
  decode(bytes: Uint8Array): RpcFrame {
    if (bytes.length < FRAME_PREFIX_BYTES) throw new DecodeError('truncated', API, -1, 'frameLength');
    const declared = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (declared !== bytes.length - FRAME_PREFIX_BYTES) {
      throw new DecodeError('bad-length', API, -1, 'frameLength', `declares ${declared} bytes, ${bytes.length - FRAME_PREFIX_BYTES} present`);
    }
    return this.decodePayload(bytes.subarray(FRAME_PREFIX_BYTES));
  }

  /** Decodes a frame payload as a FrameSplitter returns it (the bytes after the length prefix). */
  decodePayload(payload: Uint8Array): RpcFrame {
    if (payload.length < PAYLOAD_HEADER_BYTES) throw new DecodeError('truncated', API, -1, 'header', `${payload.length} bytes`);
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const type = payload[0]!;
    if (type > 2) throw new DecodeError('bad-value', API, -1, 'frameType', `frame type ${type}`);
    const requestId = view.getUint32(1);
    const schemaVersion = view.getUint16(5);
    const bodyBytes = view.getUint32(7);
    const attachmentCount = view.getUint16(11);
    const tableEnd = PAYLOAD_HEADER_BYTES + 4 * attachmentCount;
    if (tableEnd > payload.length) throw new DecodeError('truncated', API, schemaVersion, 'attachmentBytes');
    let expected = tableEnd + bodyBytes;
    for (let i = 0; i < attachmentCount; i++) expected += view.getUint32(PAYLOAD_HEADER_BYTES + 4 * i);
    if (expected !== payload.length) {
      throw new DecodeError('bad-length', API, schemaVersion, 'bodyBytes', `header accounts for ${expected} bytes, frame has ${payload.length}`);
    }
    const codec = this.versionCodec(schemaVersion);
    if (codec === undefined) throw new DecodeError('unsupported', API, schemaVersion, 'schemaVersion', `schema version ${schemaVersion} is not known`);
    let body: unknown;
    try {
      // start/end instead of a subarray: msgpackr caches a DataView on the array it is given.
      body = codec.unpackr.unpack(payload, { start: tableEnd, end: tableEnd + bodyBytes });
    } catch (error) {
      throw new DecodeError('bad-value', API, schemaVersion, 'body', error instanceof Error ? error.message : String(error), { cause: error });
    }
    const attachments: Uint8Array[] = [];
    let offset = payload.byteOffset + tableEnd + bodyBytes;
    for (let i = 0; i < attachmentCount; i++) {
      const length = view.getUint32(PAYLOAD_HEADER_BYTES + 4 * i);
      attachments.push(new Uint8Array(payload.buffer, offset, length));
      offset += length;
    }
    return { type: type as RpcFrameType, requestId, schemaVersion, body, attachments };
  }

  private versionCodec(version: number): VersionCodec | undefined {
    if (!Number.isInteger(version) || version < 0 || version > 0xffff) return undefined;
    let codec = this.codecs.get(version);
    if (codec !== undefined) return codec;
    let structures: string[][] = [];
    if (this.schemas !== null) {
      const schema = this.schemas.get(version);
      if (schema === undefined) return undefined;
      structures = schema.structures.map((keys) => [...keys]);
    }
    // maxSharedStructures = the declared count and shouldShareStructure = never: the list
    // stays frozen, so no frame depends on state another peer has not got.
    const shared = { useRecords: true, maxSharedStructures: structures.length, shouldShareStructure: () => false } as const;
    codec = {
      packr: new Packr({ ...shared, structures }),
      unpackr: new Unpackr({ ...shared, structures: structures.map((keys) => [...keys]) }),
    };
    this.codecs.set(version, codec);
    return codec;
  }
}

function checkU16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${what} ${value} is not a u16`);
}

/** A codec that accepts every schema version and shares no structures. */
export const defaultRpcCodec = new RpcCodec();

export function encodeRpcFrame(frame: RpcFrameInput, codec: RpcCodec = defaultRpcCodec): Uint8Array[] {
  return codec.encode(frame);
}

export function decodeRpcFrame(bytes: Uint8Array, codec: RpcCodec = defaultRpcCodec): RpcFrame {
  return codec.decode(bytes);
}

/** Joins encoded chunks into one buffer, for transports without vectored writes. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const chunk of chunks) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}
