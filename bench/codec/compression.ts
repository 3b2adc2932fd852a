/**
 * Compression throughput per Kafka codec on realistic batch payloads: 1 MiB and 16 KiB of
 * ~100-byte JSON-ish records (the records section of a batch of small events). Prints compress
 * and decompress MB/s (of uncompressed bytes) next to a Uint8Array.set copy of the same
 * bytes measured in the same run, plus the compression ratio.
 * Run: npm run bench -- codec-compression
 * With the Node broker's native gzip inflater (node:zlib) next to pako, in the same run:
 *   npm run bench -- codec-compression --native-gzip
 */
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';
import { both, measureCpu, reportBoth } from './cpu-time.ts';
import { CompressionType, compress, compressionName, decompress, gzipDecompressPureJs, initCompression, nativeDecompressor } from '@samsa/codec';
import { installNativeGzipIfAsked } from './native-gzip.ts';

const PAYLOAD_BYTES = 1024 * 1024;

function recordsPayload(bytes: number): Uint8Array {
  const encoder = new TextEncoder();
  const events = ['page_view', 'click', 'add_to_cart', 'purchase', 'search'];
  const out = new Uint8Array(bytes);
  let pos = 0;
  let seed = 42;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let i = 0; pos < bytes; i++) {
    const line = encoder.encode(
      JSON.stringify({ id: 1_000_000 + i, user: `u${next() % 5000}`, ev: events[next() % events.length], ts: 1_732_000_000_000 + i * 17, v: next() % 100_000 }) + '\n',
    );
    const take = Math.min(line.length, bytes - pos);
    out.set(line.subarray(0, take), pos);
    pos += take;
  }
  return out;
}



async function benchSize(payloadBytes: number, callsPerRound: number): Promise<void> {
  const payload = recordsPayload(payloadBytes);
  const target = new Uint8Array(payloadBytes);
  const unitsPerRound = payloadBytes * callsPerRound;
  const copyBaseline = await both({ name: 'Uint8Array.set copy', unit: 'B', unitsPerRound, rounds: 9 }, () => {
    for (let i = 0; i < callsPerRound; i++) target.set(payload);
  });
  console.log(`\npayload: ${payloadBytes} bytes of ~100-byte JSON records, ${callsPerRound} calls per round`);
  for (const type of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    const name = compressionName(type);
    const compressed = compress(type, payload);
    const roundTrip = decompress(type, compressed, payloadBytes);
    if (roundTrip.length !== payloadBytes) throw new Error(`${name} round trip failed`);
    console.log(`${name}: ratio ${(payloadBytes / compressed.length).toFixed(2)} (${compressed.length} bytes)`);
    reportBoth(
      await both({ name: `${name} compress`, unit: 'B', unitsPerRound }, () => {
        for (let i = 0; i < callsPerRound; i++) compress(type, payload);
      }),
      copyBaseline,
    );
    reportBoth(
      await both({ name: `${name} decompress`, unit: 'B', unitsPerRound }, () => {
        for (let i = 0; i < callsPerRound; i++) decompress(type, compressed, payloadBytes);
      }),
      copyBaseline,
    );
    if (type === CompressionType.gzip && nativeDecompressor('gzip') !== null) {
      reportBoth(
        await both({ name: 'gzip decompress (pako, for comparison)', unit: 'B', unitsPerRound }, () => {
          for (let i = 0; i < callsPerRound; i++) gzipDecompressPureJs(compressed, payloadBytes);
        }),
        copyBaseline,
      );
    }
  }
}

async function main(): Promise<void> {
  await initCompression();
  await installNativeGzipIfAsked();
  await benchSize(PAYLOAD_BYTES, 1);
  await benchSize(16 * 1024, 32);
}

await main();
