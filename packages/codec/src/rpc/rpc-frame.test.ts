/**
 * RPC frame examples: the byte layout, shared structures per schema version, zero-copy
 * attachments, version checks, and rejection of inconsistent lengths.
 */
import { describe, expect, it } from 'vitest';
import { RpcCodec, RpcFrameSplitter, RpcFrameType, concatChunks, decodeRpcFrame, encodeRpcFrame } from './index.ts';
import { catchDecodeError, cutAt } from './rpc-test-helpers.ts';

const schemaV1 = { version: 1, structures: [['topic', 'partition', 'fetchOffset', 'leaderEpoch']] };
const fetchBody = { topic: 'orders', partition: 3, fetchOffset: 1234, leaderEpoch: 7 };

describe('RPC frames', () => {
  it('lays out the header as documented', () => {
    const batch = new Uint8Array([0xaa, 0xbb, 0xcc]);
    const chunks = encodeRpcFrame({ type: RpcFrameType.response, requestId: 0x01020304, schemaVersion: 0x0506, body: null, attachments: [batch] });
    expect(chunks.length).toBe(2);
    expect(chunks[1]).toBe(batch); // attachments are passed through, not copied
    const head = chunks[0]!;
    // msgpack nil is 0xc0: body is 1 byte.
    expect(Array.from(head)).toEqual([0, 0, 0, 21, 1, 1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 0, 1, 0, 0, 0, 3, 0xc0]);
    const frame = decodeRpcFrame(concatChunks(chunks));
    expect(frame).toEqual({ type: 1, requestId: 0x01020304, schemaVersion: 0x0506, body: null, attachments: [batch] });
  });

  it('encodes frames whose header does not fit msgpackr reserved space (many attachments)', () => {
    const attachments = Array.from({ length: 70 }, (_, i) => new Uint8Array(i).fill(i));
    const frame = decodeRpcFrame(concatChunks(encodeRpcFrame({ type: 0, requestId: 5, schemaVersion: 0, body: { many: true }, attachments })));
    expect(frame.body).toEqual({ many: true });
    expect(frame.attachments.map((a) => a.length)).toEqual(attachments.map((a) => a.length));
    expect(frame.attachments[69]![0]).toBe(69);
  });

  it('returns attachments as plain Uint8Array views of the input', () => {
    const a = new Uint8Array(16 * 1024).map((_, i) => i & 0xff);
    const bytes = concatChunks(encodeRpcFrame({ type: 0, requestId: 1, schemaVersion: 0, body: { n: 1 }, attachments: [a, new Uint8Array(0), a] }));
    const frame = decodeRpcFrame(bytes);
    expect(frame.attachments.length).toBe(3);
    for (const attachment of frame.attachments) {
      expect(attachment.constructor).toBe(Uint8Array);
      expect(attachment.buffer).toBe(bytes.buffer);
    }
    expect(frame.attachments[2]![100]).toBe(100);
  });

  it('writes shared structures as references, and peers with the same schema decode them', () => {
    const shared = new RpcCodec({ schemas: [schemaV1] });
    const plain = new RpcCodec({ schemas: [{ version: 1, structures: [] }] });
    const withShared = concatChunks(shared.encode({ type: 0, requestId: 9, schemaVersion: 1, body: fetchBody }));
    const withoutShared = concatChunks(plain.encode({ type: 0, requestId: 9, schemaVersion: 1, body: fetchBody }));
    expect(withShared.length).toBeLessThan(withoutShared.length);
    expect(new RpcCodec({ schemas: [schemaV1] }).decode(withShared).body).toEqual(fetchBody);
    // A shape outside the list is defined inline, so a fresh peer decodes it too.
    const other = { something: 'else', nested: { a: [1, 2, 3] } };
    const inline = concatChunks(shared.encode({ type: 2, requestId: 0, schemaVersion: 1, body: other }));
    expect(new RpcCodec({ schemas: [schemaV1] }).decode(inline).body).toEqual(other);
  });

  it('inline shapes from different senders never leak into later frames', () => {
    const receiver = new RpcCodec({ schemas: [schemaV1] });
    const senderA = new RpcCodec({ schemas: [schemaV1] });
    const senderB = new RpcCodec({ schemas: [schemaV1] });
    const bodies = [{ x: 1, y: 2 }, { p: 'q' }, fetchBody, { y: 3, x: 4 }, { p: 'r', s: [{ x: 1, y: 2 }] }];
    bodies.forEach((body, i) => {
      const sender = i % 2 === 0 ? senderA : senderB;
      const bytes = concatChunks(sender.encode({ type: 2, requestId: i, schemaVersion: 1, body }));
      expect(receiver.decode(bytes).body).toEqual(body);
    });
  });

  it('rejects schema versions the codec does not know', () => {
    const codec = new RpcCodec({ schemas: [schemaV1] });
    const bytes = concatChunks(encodeRpcFrame({ type: 0, requestId: 1, schemaVersion: 2, body: 1 }));
    expect(catchDecodeError(() => codec.decode(bytes))?.reason).toBe('unsupported');
    expect(() => codec.encode({ type: 0, requestId: 1, schemaVersion: 2, body: 1 })).toThrow(RangeError);
  });

  it('rejects inconsistent lengths and bad frame types', () => {
    const bytes = concatChunks(encodeRpcFrame({ type: 0, requestId: 1, schemaVersion: 0, body: 'x', attachments: [new Uint8Array(4)] }));
    expect(catchDecodeError(() => decodeRpcFrame(bytes.subarray(0, bytes.length - 1)))?.reason).toBe('bad-length');
    const lying = bytes.slice();
    lying[20] = 5; // attachment length 4 -> 5
    expect(catchDecodeError(() => decodeRpcFrame(lying))?.reason).toBe('bad-length');
    const badType = bytes.slice();
    badType[4] = 3;
    expect(catchDecodeError(() => decodeRpcFrame(badType))?.reason).toBe('bad-value');
    expect(catchDecodeError(() => decodeRpcFrame(new Uint8Array([0, 0])))?.reason).toBe('truncated');
  });

  it('rejects bad frame inputs on encode', () => {
    expect(() => encodeRpcFrame({ type: 0, requestId: -1, schemaVersion: 0, body: 1 })).toThrow(RangeError);
    expect(() => encodeRpcFrame({ type: 0, requestId: 1, schemaVersion: 70000, body: 1 })).toThrow(RangeError);
    expect(() => encodeRpcFrame({ type: 5 as RpcFrameType, requestId: 1, schemaVersion: 0, body: 1 })).toThrow(RangeError);
  });

  it('splits coalesced frames at every byte boundary', () => {
    const frames = [
      { type: 0 as const, requestId: 1, schemaVersion: 0, body: { a: 1 }, attachments: [new Uint8Array([1, 2, 3])] },
      { type: 1 as const, requestId: 1, schemaVersion: 0, body: [true, 'x'], attachments: [] },
      { type: 2 as const, requestId: 0, schemaVersion: 0, body: null, attachments: [new Uint8Array(0), new Uint8Array([4])] },
    ];
    const stream = concatChunks(frames.flatMap((f) => encodeRpcFrame(f)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const splitter = new RpcFrameSplitter({ frameBytesMax: 1024 });
      const got = cutAt(stream, [cut]).flatMap((chunk) => splitter.push(chunk));
      expect(got).toEqual(frames);
    }
  });
});
