/**
 * Record batch v2 throughput on the shapes the broker sees: 100-byte values (no key, no
 * headers) packed into ~16 KiB batches (the default producer batch.size).
 *  - build: buildRecordBatch, records/s (target ≥ 2M/s), next to a Uint8Array.set copy of
 *    the same record values into a 16 KiB buffer (the floor: bytes must be copied once);
 *  - validate: validateRecordBatch (CRC + record framing walk), MB/s, next to a copy of the
 *    same batch bytes;
 *  - iterate: iterateRecords over every record, records/s, next to the same copy baseline.
 * Run: npm run bench -- codec-record-batch
 */
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';
import { both, measureCpu, reportBoth } from './cpu-time.ts';
import { buildRecordBatch, iterateRecords, validateRecordBatch } from '@samsa/codec';
import type { RecordInput } from '@samsa/codec';

const VALUE_BYTES = 100;
const BATCH_BYTES_TARGET = 16 * 1024;
// per record: 1 attributes + 1-2 ts delta + 1-2 offset delta + 1 key (-1) + 2 value length + 1 headers + 2 length
const RECORDS_PER_BATCH = Math.floor((BATCH_BYTES_TARGET - 61) / (VALUE_BYTES + 10));
const BATCHES = 64;


async function main(): Promise<void> {
  const batches: RecordInput[][] = [];
  let seed = 7;
  for (let b = 0; b < BATCHES; b++) {
    const records: RecordInput[] = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const value = new Uint8Array(VALUE_BYTES);
      for (let k = 0; k < VALUE_BYTES; k++) value[k] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      records.push({ value, timestampMs: 1_732_000_000_000 + b * 1000 + i });
    }
    batches.push(records);
  }
  const totalRecords = BATCHES * RECORDS_PER_BATCH;
  const built = batches.map((records) => buildRecordBatch(records));
  const batchBytes = built[0]!.length;
  const totalBytes = built.reduce((n, b) => n + b.length, 0);
  console.log(`${RECORDS_PER_BATCH} records of ${VALUE_BYTES} B per batch, batch ${batchBytes} B, ${BATCHES} batches per round`);

  const target = new Uint8Array(BATCH_BYTES_TARGET + 1024);
  const copyValues = await both({ name: 'Uint8Array.set of the values', unit: 'records', unitsPerRound: totalRecords, rounds: 15 }, () => {
    for (const records of batches) {
      let p = 0;
      for (const r of records) {
        target.set(r.value!, p);
        p += VALUE_BYTES;
      }
    }
  });
  const build = await both({ name: 'buildRecordBatch (uncompressed)', unit: 'records', unitsPerRound: totalRecords, rounds: 15 }, () => {
    for (const records of batches) buildRecordBatch(records);
  });
  reportBoth(build, copyValues);
  console.log(`  absolute target ≥ 2M records/s (CPU time): ${build.cpu.perSecond >= 2e6 ? 'met' : 'NOT met'}`);

  const copyBatches = await both({ name: 'Uint8Array.set of the batches', unit: 'B', unitsPerRound: totalBytes, rounds: 15 }, () => {
    for (const b of built) target.set(b);
  });
  const validate = await both({ name: 'validateRecordBatch (CRC + framing)', unit: 'B', unitsPerRound: totalBytes, rounds: 15 }, () => {
    for (const b of built) if (validateRecordBatch(b) !== null) throw new Error('invalid');
  });
  reportBoth(validate, copyBatches);

  let sink = 0;
  const iterate = await both({ name: 'iterateRecords (all records)', unit: 'records', unitsPerRound: totalRecords, rounds: 15 }, () => {
    for (const b of built) for (const r of iterateRecords(b)) sink += r.value!.length;
  });
  reportBoth(iterate, copyValues);
  if (sink === 0.5) console.log(sink);
}

await main();
