/**
 * The broker's byte path through the generated Kafka codecs with 1 MiB of records:
 *  - decode a ProduceRequest (v9, flexible) carrying 1 MiB of record batches (64 × 16 KiB),
 *    then also validate every batch (what the produce path does before appending);
 *  - encode a FetchResponse (v12, flexible) carrying the same 1 MiB of batches.
 * The records field is a view on decode and a single copy on encode, so both should run at
 * memory speed: target ≥ 1 GB/s, each next to a Uint8Array.set copy of 1 MiB in the same run
 * (and encode also next to allocate + copy, since encodeMessage allocates its output).
 *  - encode the same FetchResponse as a response frame in chunks (encodeResponseFrameChunks):
 *    the records field is passed through as the caller's view, so nothing is copied.
 * Run: npm run bench -- codec-kafka-records
 */
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';
import { both, measureCpu, reportBoth } from './cpu-time.ts';
import {
  FetchResponseCodec,
  ProduceRequestCodec,
  ZERO_UUID,
  buildRecordBatch,
  decodeMessage,
  encodeMessage,
  encodeResponseFrameChunks,
  forEachBatch,
  validateRecordBatch,
} from '@samsa/codec';
import type { FetchResponse, ProduceRequest } from '@samsa/codec';

const RECORDS_BYTES = 1024 * 1024;
const BATCH_BYTES = 16 * 1024;
const REPS = 16;

function recordBatches(): Uint8Array {
  const perBatch = Math.floor((BATCH_BYTES - 61) / 110);
  const out = new Uint8Array(RECORDS_BYTES);
  let pos = 0;
  let seed = 3;
  for (let b = 0; ; b++) {
    const records = Array.from({ length: perBatch }, (_, i) => {
      const value = new Uint8Array(100);
      for (let k = 0; k < 100; k++) value[k] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      return { value, timestampMs: 1_732_000_000_000 + b * 1000 + i };
    });
    const batch = buildRecordBatch(records, { baseOffset: b * perBatch });
    if (pos + batch.length > RECORDS_BYTES) break;
    out.set(batch, pos);
    pos += batch.length;
  }
  return out.subarray(0, pos);
}


async function main(): Promise<void> {
  const records = recordBatches();
  const bytes = records.length;
  const produce: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records }] }],
  };
  const produceBody = encodeMessage(ProduceRequestCodec, produce, 9);
  const fetch: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    nodeEndpoints: [],
    responses: [
      {
        topic: 'bench-topic',
        topicId: ZERO_UUID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 1_000_000,
            lastStableOffset: 1_000_000,
            logStartOffset: 0,
            divergingEpoch: { epoch: -1, endOffset: -1 },
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records,
          },
        ],
      },
    ],
  };
  console.log(`records field: ${bytes} bytes; ProduceRequest v9 body ${produceBody.length} B; ${REPS} messages per round`);

  const target = new Uint8Array(bytes);
  const copy = await both({ name: 'Uint8Array.set copy', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) target.set(records);
  });
  let sink = 0;
  // encodeMessage allocates its output, so also compare with allocate-and-copy.
  const allocCopy = await both({ name: 'new Uint8Array + set (alloc + copy)', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) sink += records.slice().length;
  });
  const decode = await both({ name: 'decode ProduceRequest v9 (1 MiB records)', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) sink += decodeMessage(ProduceRequestCodec, produceBody, 9).topicData[0]!.partitionData[0]!.records!.length;
  });
  const decodeValidate = await both({ name: 'decode ProduceRequest + validate batches', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) {
      const r = decodeMessage(ProduceRequestCodec, produceBody, 9).topicData[0]!.partitionData[0]!.records!;
      forEachBatch(r, (pos, size) => {
        if (validateRecordBatch(r, pos, pos + size) !== null) throw new Error('invalid batch');
      });
    }
  });
  const encode = await both({ name: 'encode FetchResponse v12 (1 MiB records)', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) sink += encodeMessage(FetchResponseCodec, fetch, 12).length;
  });
  const encodeChunks = await both({ name: 'encode FetchResponse v12 chunks (1 MiB records)', unit: 'B', unitsPerRound: bytes * REPS, rounds: 15 }, () => {
    for (let i = 0; i < REPS; i++) sink += encodeResponseFrameChunks(1, 12, i, FetchResponseCodec, fetch).length;
  });
  reportBoth(decode, copy);
  reportBoth(decodeValidate, copy);
  reportBoth(encode, copy);
  reportBoth(encode, allocCopy);
  reportBoth(encodeChunks, copy);
  reportBoth(encodeChunks, allocCopy);
  console.log(`  absolute target ≥ 1 GB/s (CPU time): decode ${decode.cpu.perSecond >= 1e9 ? 'met' : 'NOT met'}, encode ${encode.cpu.perSecond >= 1e9 ? 'met' : 'NOT met'}, encode chunks ${encodeChunks.cpu.perSecond >= 1e9 ? 'met' : 'NOT met'}`);
  if (sink === 0.5) console.log(sink);
}

await main();
