/**
 * Compression throughput per Kafka codec on a realistic batch payload: 1 MiB of ~100-byte
 * JSON-ish records (the records section of a batch of ~10k small events). Prints compress
 * and decompress MB/s (of uncompressed bytes) next to a Uint8Array.set copy of the same
 * bytes measured in the same run, plus the compression ratio.
 * Run: npx tsx bench/codec/compression.ts
 */
import { measure, report } from '../../apps/bench/src/measure.ts';
import { CompressionType, compress, compressionName, decompress, initCompression } from '../../packages/codec/src/index.ts';

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

async function main(): Promise<void> {
  await initCompression();
  const payload = recordsPayload(PAYLOAD_BYTES);
  const target = new Uint8Array(PAYLOAD_BYTES);
  const copyBaseline = await measure({ name: 'Uint8Array.set copy', unit: 'B', unitsPerRound: PAYLOAD_BYTES * 10, rounds: 9 }, () => {
    for (let i = 0; i < 10; i++) target.set(payload);
  });
  console.log(`payload: ${PAYLOAD_BYTES} bytes of ~100-byte JSON records`);
  for (const type of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    const name = compressionName(type);
    const compressed = compress(type, payload);
    const roundTrip = decompress(type, compressed, PAYLOAD_BYTES);
    if (roundTrip.length !== PAYLOAD_BYTES) throw new Error(`${name} round trip failed`);
    console.log(`${name}: ratio ${(PAYLOAD_BYTES / compressed.length).toFixed(2)} (${compressed.length} bytes)`);
    report(await measure({ name: `${name} compress`, unit: 'B', unitsPerRound: PAYLOAD_BYTES }, () => compress(type, payload)), copyBaseline);
    report(await measure({ name: `${name} decompress`, unit: 'B', unitsPerRound: PAYLOAD_BYTES }, () => decompress(type, compressed, PAYLOAD_BYTES)), copyBaseline);
  }
}

await main();
