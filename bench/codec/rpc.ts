/**
 * RPC frame throughput: encode + decode of a replica-fetch-like response carrying one
 * 16 KiB record-batch attachment, with and without shared msgpackr structures, and the
 * same through RpcFrameSplitter fed 64 KiB socket-sized chunks. Baseline, same run: one
 * Uint8Array.set copy of the 16 KiB attachment per frame (what a non-zero-copy envelope
 * would cost at least).
 * Run: npm run bench -- codec-rpc
 */
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';
import { both, measureCpu, reportBoth } from './cpu-time.ts';
import { RpcCodec, RpcFrameSplitter, concatChunks } from '@samsa/codec';

const FRAMES = 2000;
const ATTACHMENT_BYTES = 16 * 1024;
const schema = { version: 1, structures: [['topic', 'partition', 'highWatermark', 'logStartOffset', 'leaderEpoch', 'errorCode']] };
const body = { topic: 'orders', partition: 7, highWatermark: 123_456_789, logStartOffset: 1000, leaderEpoch: 12, errorCode: 0 };
const attachment = new Uint8Array(ATTACHMENT_BYTES).map((_, i) => (i * 31) & 0xff);



async function main(): Promise<void> {
  const target = new Uint8Array(ATTACHMENT_BYTES);
  const copy = await both({ name: '16 KiB Uint8Array.set', unit: 'frames', unitsPerRound: FRAMES }, () => {
    for (let i = 0; i < FRAMES; i++) target.set(attachment);
  });
  for (const [label, codec] of [
    ['no shared structures', new RpcCodec()],
    ['shared structures', new RpcCodec({ schemas: [schema] })],
  ] as const) {
    const sample = concatChunks(codec.encode({ type: 1, requestId: 1, schemaVersion: 1, body, attachments: [attachment] }));
    console.log(`${label}: frame ${sample.length} bytes (header+body ${sample.length - ATTACHMENT_BYTES})`);
    reportBoth(
      await both({ name: `encode (vectored chunks), ${label}`, unit: 'frames', unitsPerRound: FRAMES }, () => {
        for (let i = 0; i < FRAMES; i++) codec.encode({ type: 1, requestId: i, schemaVersion: 1, body, attachments: [attachment] });
      }),
      copy,
    );
    reportBoth(
      await both({ name: `encode + decode, ${label}`, unit: 'frames', unitsPerRound: FRAMES }, () => {
        for (let i = 0; i < FRAMES; i++) {
          const frame = codec.decode(concatChunks(codec.encode({ type: 1, requestId: i, schemaVersion: 1, body, attachments: [attachment] })));
          if (frame.attachments[0]!.length !== ATTACHMENT_BYTES) throw new Error('bad frame');
        }
      }),
      copy,
    );
    const stream = concatChunks(Array.from({ length: FRAMES }, (_, i) => codec.encode({ type: 1, requestId: i, schemaVersion: 1, body, attachments: [attachment] })).flat());
    reportBoth(
      await both({ name: `splitter decode (64 KiB chunks), ${label}`, unit: 'frames', unitsPerRound: FRAMES }, () => {
        const splitter = new RpcFrameSplitter({ frameBytesMax: 1 << 20, codec });
        let frames = 0;
        for (let at = 0; at < stream.length; at += 65536) frames += splitter.push(stream.subarray(at, at + 65536)).length;
        if (frames !== FRAMES) throw new Error(`got ${frames} frames`);
      }),
      copy,
    );
  }
}

await main();
