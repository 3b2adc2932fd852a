/**
 * Append throughput of @samsa/log per codec on a create-time log (the default), against a
 * plain sequential file write of the same bytes, in one run, in wall-clock and CPU time
 * (npm run bench -- log-append-compressed).
 *
 * The leader's append decompresses a compressed batch once to walk its records (framing,
 * the batch's real maxTimestamp, keys on compacted topics), as Kafka's LogValidator does;
 * this scenario shows what that costs per codec ('none' is the uncompressed reference).
 * Each batch holds the records of a ~16 KiB producer batch (151 records of 100 B,
 * half-compressible values).
 *
 * `--native-gzip` installs the Node broker's gzip accelerator (node:zlib, as startBroker
 * does); the app and this script import '@samsa/codec' by name, so they share one codec:
 *   npm run bench -- log-append-compressed --native-gzip
 */
import { rm } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { formatRate, measure, report } from '@samsa/bench';
import { measureCpu } from '../codec/cpu-time.ts';
import { buildRecordBatch, initCompression } from '@samsa/codec';
import { installNativeGzipIfAsked } from '../codec/native-gzip.ts';
import type { CompressionType } from '@samsa/codec';
import { openLog } from '@samsa/log';
import { NodeFileSystem, makeTempDir } from '@samsa/runtime/node';

const ROUND_BATCHES = 1024;
const RECORDS = 151;
const VALUE_BYTES = 100;
const CODECS: ReadonlyArray<[string, CompressionType]> = [
  ['none', 0],
  ['gzip', 1],
  ['snappy', 2],
  ['lz4', 3],
  ['zstd', 4],
];

function makeCompressedBatch(compression: CompressionType): Uint8Array {
  let seed = 11;
  const records = Array.from({ length: RECORDS }, (_, i) => {
    const value = new Uint8Array(VALUE_BYTES);
    // Half random bytes, half a repeated pattern: compresses about 2:1 like typical JSON.
    for (let k = 0; k < VALUE_BYTES; k++) value[k] = k % 2 === 0 ? (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24 : 65 + (k % 7);
    return { key: null, value, timestampMs: Date.now() + i };
  });
  return buildRecordBatch(records, { compression });
}

async function scenario(root: string, name: string, compression: CompressionType): Promise<void> {
  const bytes = makeCompressedBatch(compression);
  const fs = new NodeFileSystem();
  const log = await openLog({ dir: join(root, `${name}-0`), fs });
  const options = { name: `log.append ${name} (${bytes.byteLength} B)`, unit: 'B', unitsPerRound: bytes.byteLength * ROUND_BATCHES };
  const appendRound = async (): Promise<void> => {
    for (let i = 0; i < ROUND_BATCHES; i++) await log.append(bytes);
  };
  let n = 0;
  const writeRound = async (): Promise<void> => {
    const fh = await fsp.open(join(root, `plain-${name}-${n++}`), 'w');
    for (let i = 0; i < ROUND_BATCHES; i++) await fh.write(bytes);
    await fh.close();
  };
  const baselineOptions = { name: 'plain write', unit: 'B', unitsPerRound: bytes.byteLength * ROUND_BATCHES };
  const wall = await measure(options, appendRound);
  const cpu = await measureCpu(options, appendRound);
  report(wall, await measure(baselineOptions, writeRound));
  report(cpu, await measureCpu(baselineOptions, writeRound));
  console.log(`    ${name}: ${formatRate((wall.perSecond / bytes.byteLength) * RECORDS, 'records')} wall, ${formatRate((cpu.perSecond / bytes.byteLength) * RECORDS, 'records')} per CPU-second (${RECORDS} per batch)`);
  await log.close();
}

await initCompression();
await installNativeGzipIfAsked();
const root = await makeTempDir('samsa-bench-log-z-');
try {
  console.log(`append of compressed batches, ${RECORDS} records of ${VALUE_BYTES} B each, ${ROUND_BATCHES} batches per round, temp dir ${root}`);
  for (const [name, compression] of CODECS) await scenario(root, name, compression);
} finally {
  await rm(root, { recursive: true, force: true });
}
