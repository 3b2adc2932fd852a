/**
 * Replica-fetch wire throughput (issue 14): a follower's ReplicaFetcherConnection fetching
 * from a ReplicaFetchServer over loopback TCP (the @samsa/runtime/node transport), each
 * response carrying 1 MiB of record batches (16 partitions × 64 KiB attachments), one fetch
 * outstanding at a time as the fetcher does. Figure: MB/s of records delivered.
 * Baseline, same run: raw node:net on loopback doing the same exchange (a 64-byte request,
 * a 1 MiB + 1 KiB reply written as one buffer, one at a time) — what the transport alone
 * costs; the ratio is what the RPC frames, msgpackr bodies and the runtime adapter add.
 * Five alternating pairs, each line one pair, then the median ratio (the machine is noisy).
 * Run: npm run bench -- replica-fetch-wire
 */
import { createServer, connect, type Socket } from 'node:net';
import { measure, report } from '@samsa/bench';
import { ReplicaFetcherConnection, ReplicaFetchServer, type ReplicaFetchRequest, type ReplicaFetchResponse } from '@samsa/broker';
import { systemClock } from '@samsa/runtime';
import { NodeTransport } from '@samsa/runtime/node';

const PARTITIONS = 16;
const PARTITION_BYTES = 64 * 1024;
const RESPONSE_BYTES = PARTITIONS * PARTITION_BYTES;
const FETCHES_PER_ROUND = 200;
const PAIRS = 5;

const batches = Array.from({ length: PARTITIONS }, (_, p) => new Uint8Array(PARTITION_BYTES).map((_, i) => (i * 31 + p) & 0xff));
const response: ReplicaFetchResponse = {
  errorCode: 0,
  partitions: batches.map((records, partition) => ({ topic: 'bench', partition, errorCode: 0, highWatermark: 1_000_000, logStartOffset: 0, divergingEpoch: null, records })),
};
const request: ReplicaFetchRequest = {
  replicaId: 2,
  brokerEpoch: 1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 10 << 20,
  partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', topic: 'bench', partition, fetchOffset: 0, lastFetchedEpoch: 0, currentLeaderEpoch: 0, logStartOffset: 0, partitionMaxBytes: 1 << 20 })),
};

interface Setup {
  readonly name: string;
  /** One fetch: resolves when its 1 MiB of batches has arrived. */
  readonly fetchOnce: () => Promise<void>;
  readonly close: () => Promise<void>;
}

async function samsaWire(): Promise<Setup> {
  const transport = new NodeTransport();
  const server = await ReplicaFetchServer.start({ transport, clock: systemClock, clusterId: 'bench', brokerId: 1, host: '127.0.0.1', port: 0, handler: async () => response });
  const fetcher = new ReplicaFetcherConnection({ transport, clock: systemClock, clusterId: 'bench', brokerId: 2, leader: { brokerId: 1, host: '127.0.0.1', port: server.port }, socketTimeoutMs: 30_000, backoffMs: 1000, responseFrameBytesMax: 12 << 20 });
  return {
    name: 'replica fetch (msgpackr frames)',
    fetchOnce: async () => {
      const r = await fetcher.fetch(request);
      let bytes = 0;
      for (const p of r.partitions) bytes += p.records.length;
      if (bytes !== RESPONSE_BYTES) throw new Error(`got ${bytes} bytes`);
    },
    close: async () => {
      await fetcher.close();
      await server.close();
    },
  };
}

async function rawTcp(): Promise<Setup> {
  const reply = new Uint8Array(RESPONSE_BYTES + 1024);
  const server = createServer((socket) => {
    // As the runtime's Node transport does: no Nagle delay on the small request or the reply's tail.
    socket.setNoDelay(true);
    let pending = 0;
    socket.on('data', (chunk) => {
      pending += chunk.length;
      while (pending >= 64) {
        pending -= 64;
        socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = await new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
  });
  socket.setNoDelay(true);
  let received = 0;
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk) => {
    received += chunk.length;
    if (received >= reply.length && waiter !== null) {
      received -= reply.length;
      const w = waiter;
      waiter = null;
      w();
    }
  });
  const ask = new Uint8Array(64);
  return {
    name: 'raw node:net request/reply',
    fetchOnce: () =>
      new Promise<void>((resolve) => {
        waiter = resolve;
        socket.write(ask);
      }),
    close: async () => {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function measureSetup(setup: Setup): ReturnType<typeof measure> {
  return measure({ name: setup.name, unit: 'B', unitsPerRound: FETCHES_PER_ROUND * RESPONSE_BYTES }, async () => {
    for (let i = 0; i < FETCHES_PER_ROUND; i++) await setup.fetchOnce();
  });
}

async function main(): Promise<void> {
  console.log(`${FETCHES_PER_ROUND} fetches per round, ${PARTITIONS} × ${PARTITION_BYTES / 1024} KiB of batches per response, one outstanding; ${PAIRS} alternating pairs`);
  const baseline = await rawTcp();
  const subject = await samsaWire();
  const ratios: number[] = [];
  try {
    // Alternating pairs: on a shared, loaded machine one pair says little; the median ratio says more.
    for (let i = 0; i < PAIRS; i++) ratios.push(report(await measureSetup(subject), await measureSetup(baseline)));
  } finally {
    await subject.close();
    await baseline.close();
  }
  ratios.sort((a, b) => a - b);
  console.log(`median ratio over ${PAIRS} pairs: ${ratios[Math.floor(PAIRS / 2)]!.toFixed(2)}`);
}

await main();
