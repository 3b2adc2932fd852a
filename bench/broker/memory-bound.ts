/**
 * Broker memory under 40 connections that each send one ~100 MB request frame.
 *
 *   npx tsx bench/broker/memory-bound.ts            (build the broker first:
 *   npx turbo run build --filter=@samsa/broker-node...)
 *   OVERRIDES='queued.max.request.bytes=-1' npx tsx bench/broker/memory-bound.ts   (unbounded, the old behaviour)
 *
 * A real broker process (default config plus OVERRIDES, space-separated key=value). Each
 * connection writes one Produce v3 request carrying a single 100,000,000-byte record
 * (a frame just under socket.request.max.bytes = 100 MiB); the record is over
 * message.max.bytes, so the broker reads the whole frame and answers MESSAGE_TOO_LARGE
 * without writing anything to disk. All 40 write at once; the script waits for the 40
 * answers (each connection's socket is paused by the broker while the
 * queued.max.request.bytes pool cannot take its frame).
 *
 * Printed, from /proc/<pid>/status: VmRSS of the idle broker (baseline), the peak
 * (VmHWM, and VmRSS sampled every 50 ms), VmRSS once every request is answered and
 * SETTLE_MS later, the time to answer all, and the configured bound for comparison.
 */
import type { Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProduceRequestCodec } from '@samsa/codec';
import { batchOf, connect, createTopic, encodeRequest, produceBody, sleep, startBroker, tempDir } from '@samsa/bench';

const CONNECTIONS = 40;
const RECORD_BYTES = 100_000_000;
const SETTLE_MS = Number(process.env['SETTLE_MS'] ?? 10_000);
const overrides = (process.env['OVERRIDES'] ?? '').split(/\s+/).filter((o) => o !== '');

async function status(pid: number): Promise<{ rssKiB: number; hwmKiB: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** Resolves with the first response frame (without its size prefix). */
function oneResponse(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        clearTimeout(timer);
        resolve(got.subarray(4));
      }
    });
    socket.once('close', () => reject(new Error('closed before the response')));
  });
}

const dir = tempDir('bench-memory');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides });
let peakSampledKiB = 0;
const sampler = setInterval(() => {
  status(broker.pid).then((s) => (peakSampledKiB = Math.max(peakSampledKiB, s.rssKiB)), () => {});
}, 50);
const sockets: Socket[] = [];
try {
  await createTopic(broker.bootstrap, 'big', 1);
  await sleep(500);
  const idle = await status(broker.pid);
  const frame = Buffer.from(encodeRequest(0, 3, 1, 'memory-bound', ProduceRequestCodec, produceBody('big', 0, batchOf(['v'.repeat(RECORD_BYTES)]))));
  for (let i = 0; i < CONNECTIONS; i++) {
    const s = await connect(broker.port, 10_000);
    s.on('error', () => {});
    sockets.push(s);
  }
  const started = performance.now();
  const answers = sockets.map((s) => oneResponse(s, 600_000));
  for (const s of sockets) s.write(frame);
  const frames = await Promise.all(answers);
  const answeredMs = performance.now() - started;
  const codes = frames.map((f) => {
    // v3 response: correlation id, topics array (1), name, partitions array (1), index, error code.
    const nameLength = f.readInt16BE(8);
    return f.readInt16BE(10 + nameLength + 4 + 4);
  });
  const answered = await status(broker.pid);
  await sleep(SETTLE_MS);
  const settled = await status(broker.pid);
  console.log(`overrides: ${overrides.length === 0 ? '(defaults: queued.max.request.bytes=512 MiB)' : overrides.join(' ')}`);
  console.log(`${CONNECTIONS} connections × one ${(frame.length / 1e6).toFixed(1)} MB Produce frame; error codes: ${[...new Set(codes)].join(',')}; all answered in ${(answeredMs / 1000).toFixed(1)} s`);
  console.log(`broker VmRSS idle ${mib(idle.rssKiB)} | peak VmHWM ${mib(answered.hwmKiB)} (sampled VmRSS peak ${mib(peakSampledKiB)}) | VmRSS when all answered ${mib(answered.rssKiB)} | ${SETTLE_MS / 1000} s later ${mib(settled.rssKiB)}`);
  console.log(`peak above idle: ${mib(answered.hwmKiB - idle.rssKiB)}`);
} finally {
  clearInterval(sampler);
  for (const s of sockets) s.destroy();
  await broker.stop();
  dir.remove();
}
