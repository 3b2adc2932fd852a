/**
 * An honest client's latency before, during and after a burst of hostile connections.
 *
 *   npx tsx bench/broker/hostile-latency.ts            (build the broker first:
 *   npx turbo run build --filter=@samsa/broker-node...)
 *
 * The broker runs as a real process (`--log-level warn`, as test/conformance does, so
 * every warning it writes is paid for). The honest client keeps one connection and sends
 * one ApiVersions request at a time, and also opens a fresh connection per probe every
 * tenth request (connect + ApiVersions), recording each round trip.
 * The hostile burst is what test/conformance/hostile.test.ts sends, many times over:
 * connections that announce a 2 GiB frame, send garbage after a valid request header, an
 * unknown API key, or a negative length, then (like a careless client) never close their
 * side; the burst's sockets are destroyed once it ends.
 *
 * Printed: p50/p99/max of the round trips in each phase — idle baseline, during the
 * burst, and in consecutive windows after it — plus the broker's warn lines and RSS.
 * Bounded: BURST_CONNECTIONS hostile connections, WINDOW_MS windows, about 30 s in all.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { apiVersionsFrame, connect, createTopic, readFrame, rssKiB, sleep, startBroker, tempDir } from '@samsa/bench';

const BURST_CONNECTIONS = Number(process.env['BURST_CONNECTIONS'] ?? 3_000);
const BURST_PARALLEL = 50;
/** HOSTILE_KIND=0..5 sends only that kind (4: idle, 5: slowloris); default: all kinds in turn. */
const ONLY_KIND = Number(process.env['HOSTILE_KIND'] ?? -1);
const WINDOW_MS = 3_000;
const WINDOWS_AFTER = 4;

function hostileFrame(kind: number): Buffer {
  const header = (apiKey: number, version: number, body: Buffer): Buffer => {
    const clientId = Buffer.from('hostile');
    const h = Buffer.alloc(14);
    h.writeInt32BE(10 + clientId.length + body.length, 0);
    h.writeInt16BE(apiKey, 4);
    h.writeInt16BE(version, 6);
    h.writeInt32BE(42, 8);
    h.writeInt16BE(clientId.length, 12);
    return Buffer.concat([h, clientId, body]);
  };
  const prefix = (n: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(n, 0);
    b.writeInt32BE(0x00120000, 4);
    return b;
  };
  switch (kind % 6) {
    case 4:
      return Buffer.alloc(0); // idle: connects and sends nothing
    case 5: {
      const slow = Buffer.alloc(5); // slowloris: announces 1 KiB, sends one byte of it
      slow.writeInt32BE(1024, 0);
      return slow;
    }
    case 0:
      return prefix(0x7fffffff);
    case 1:
      return header([0, 3, 1][kind % 3]!, [7, 9, 11][kind % 3]!, randomBytes(64));
    case 2:
      return header(9_999, 0, Buffer.alloc(0));
    default:
      return prefix(-1);
  }
}

interface Phase {
  readonly name: string;
  readonly samplesMs: number[];
  /** Fresh connections the broker closed or refused before answering (each retried). */
  failures: number;
}

const overrides = (process.env['OVERRIDES'] ?? '').split(/\s+/).filter((o) => o !== '');
const dir = tempDir('bench-hostile');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides });
// BROKER_NOFILE=N: the broker's open-file limit (a host's default soft limit is often 1024).
if (process.env['BROKER_NOFILE']) execFileSync('prlimit', ['--pid', String(broker.pid), `--nofile=${process.env['BROKER_NOFILE']}`]);
const hostile: Socket[] = [];
let stopProbe = false;
let phase: Phase = { name: 'idle', samplesMs: [], failures: 0 };
const phases: Phase[] = [phase];

async function probeLoop(): Promise<void> {
  const socket = await connect(broker.port);
  await createTopic(broker.bootstrap, 'honest', 1);
  const producer = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let correlationId = 0;
  while (!stopProbe) {
    const kind = ++correlationId % 10;
    const started = performance.now();
    if (kind % 2 === 1) {
      await producer.send({ topic: 'honest', acks: 1, messages: [{ value: `honest-${correlationId}` }] });
    } else if (kind !== 0) {
      socket.write(apiVersionsFrame(correlationId));
      await readFrame(socket, 10_000);
    } else {
      // A fresh connection, retried like a client would (after 50 ms) if the broker drops it.
      for (let attempt = 0; ; attempt++) {
        const s = await connect(broker.port, 10_000).catch(() => null);
        try {
          if (s === null) throw new Error('connect failed');
          s.write(apiVersionsFrame(correlationId));
          await readFrame(s, 10_000);
          break;
        } catch {
          phase.failures++;
          if (attempt >= 20) break;
          await sleep(50);
        } finally {
          s?.destroy();
        }
      }
    }
    phase.samplesMs.push(performance.now() - started);
    await sleep(5);
  }
  await producer.disconnect();
  socket.destroy();
}

async function burst(): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < BURST_CONNECTIONS) {
      const i = next++;
      try {
        const s = await connect(broker.port, 10_000);
        s.on('error', () => {});
        hostile.push(s);
        s.write(hostileFrame(ONLY_KIND >= 0 ? ONLY_KIND : i));
      } catch {
        // The broker may refuse under load; the burst goes on.
      }
    }
  };
  await Promise.all(Array.from({ length: BURST_PARALLEL }, worker));
}

function stats(samples: number[]): string {
  if (samples.length === 0) return 'no samples';
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return `n=${s.length} p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
}

try {
  const restRssKiB = await rssKiB(broker.pid);
  const probing = probeLoop();
  await sleep(WINDOW_MS);
  phase = { name: `during burst (${BURST_CONNECTIONS} hostile connections)`, samplesMs: [], failures: 0 };
  phases.push(phase);
  const burstStarted = performance.now();
  await burst();
  const burstMs = performance.now() - burstStarted;
  if (process.env['KEEP_OPEN'] !== '1') for (const s of hostile) s.destroy();
  const warnLinesAfterBurst = broker.output().split('\n').filter((l) => l.includes('"level":40')).length;
  for (let w = 1; w <= WINDOWS_AFTER; w++) {
    phase = { name: `after burst, ${((w - 1) * WINDOW_MS) / 1000}-${(w * WINDOW_MS) / 1000} s`, samplesMs: [], failures: 0 };
    phases.push(phase);
    await sleep(WINDOW_MS);
  }
  stopProbe = true;
  await probing;
  console.log(`burst: ${BURST_CONNECTIONS} connections in ${(burstMs / 1000).toFixed(1)} s; broker warn lines: ${warnLinesAfterBurst}`);
  for (const p of phases) console.log(`${p.name.padEnd(44)} ${stats(p.samplesMs)}${p.failures > 0 ? `; ${p.failures} fresh connections dropped` : ''}`);
  console.log(`broker RSS at rest ${(restRssKiB / 1024).toFixed(1)} MiB, after ${((await rssKiB(broker.pid)) / 1024).toFixed(1)} MiB`);
} finally {
  stopProbe = true;
  for (const s of hostile) s.destroy();
  await broker.stop();
  dir.remove();
}
