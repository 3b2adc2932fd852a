/**
 * What the @samsa/runtime/node adapters cost over raw Node APIs, measured in one run:
 * - append: 16 KiB vectored appends (2 buffers each) through NodeFileSystem vs
 *   fs.promises FileHandle.writev on the same kind of O_APPEND descriptor;
 * - read: 16 KiB positional reads through NodeFileSystem vs FileHandle.read;
 * - transport: 32 MiB one way over loopback through NodeTransport (await each 64 KiB
 *   write) vs a raw net.Socket writer that waits for 'drain'.
 * Run: npm run bench -- node-adapters
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import { measure, report } from '@samsa/bench';
import { NodeFileSystem, NodeTransport, makeTempDir } from '@samsa/runtime/node';

const batchBytes = 16 * 1024;
const batchesPerRound = 1024;
const header = new Uint8Array(61).fill(1);
const body = new Uint8Array(batchBytes - header.byteLength).fill(2);

async function benchAppend(dir: string): Promise<void> {
  const fs = new NodeFileSystem();
  let n = 0;
  const adapter = await measure({ name: 'NodeFileSystem.append 16 KiB', unit: 'B', unitsPerRound: batchBytes * batchesPerRound }, async () => {
    const f = await fs.open(join(dir, `a${n++}`), 'append');
    for (let i = 0; i < batchesPerRound; i++) await f.append([header, body]);
    await f.close();
  });
  const raw = await measure({ name: 'fsp writev', unit: 'B', unitsPerRound: batchBytes * batchesPerRound }, async () => {
    const f = await fsp.open(join(dir, `r${n++}`), constants.O_RDWR | constants.O_APPEND | constants.O_CREAT);
    for (let i = 0; i < batchesPerRound; i++) await f.writev([header, body]);
    await f.close();
  });
  report(adapter, raw);
}

async function benchRead(dir: string): Promise<void> {
  const path = join(dir, 'read-source');
  const fileBytes = batchBytes * batchesPerRound;
  await fsp.writeFile(path, new Uint8Array(fileBytes).fill(3));
  const positions = Array.from({ length: batchesPerRound }, (_, i) => ((i * 7919) % batchesPerRound) * batchBytes);
  const buffer = new Uint8Array(batchBytes);
  const fs = new NodeFileSystem();
  const handle = await fs.open(path, 'read');
  const adapter = await measure({ name: 'NodeFileSystem.read 16 KiB', unit: 'B', unitsPerRound: fileBytes }, async () => {
    for (const p of positions) await handle.read(buffer, p);
  });
  const rawHandle = await fsp.open(path, 'r');
  const raw = await measure({ name: 'fsp read', unit: 'B', unitsPerRound: fileBytes }, async () => {
    for (const p of positions) await rawHandle.read(buffer, 0, batchBytes, p);
  });
  await handle.close();
  await rawHandle.close();
  report(adapter, raw);
}

const transferBytes = 32 * 1024 * 1024;
const chunk = new Uint8Array(64 * 1024).fill(4);

async function benchTransport(): Promise<void> {
  const transport = new NodeTransport();
  let received = 0;
  let wake: (() => void) | null = null;
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) =>
    c.start({
      onData(data) {
        received += data.byteLength;
        if (received >= transferBytes && wake) wake();
      },
      onClose() {},
    }),
  );
  const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
  client.start({ onData() {}, onClose() {} });
  const adapter = await measure({ name: 'NodeTransport 32 MiB (await write)', unit: 'B', unitsPerRound: transferBytes, rounds: 5 }, async () => {
    received = 0;
    const done = new Promise<void>((resolve) => (wake = resolve));
    for (let sent = 0; sent < transferBytes; sent += chunk.byteLength) await client.write(chunk);
    await done;
  });
  await client.close();
  await listener.close();

  let rawReceived = 0;
  let rawWake: (() => void) | null = null;
  const server = net.createServer((s) =>
    s.on('data', (data: Uint8Array) => {
      rawReceived += data.byteLength;
      if (rawReceived >= transferBytes && rawWake) rawWake();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const raw = await measure({ name: 'net.Socket (drain)', unit: 'B', unitsPerRound: transferBytes, rounds: 5 }, async () => {
    rawReceived = 0;
    const done = new Promise<void>((resolve) => (rawWake = resolve));
    for (let sent = 0; sent < transferBytes; sent += chunk.byteLength) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    await done;
  });
  socket.destroy();
  server.close();
  report(adapter, raw);
}

const dir = await makeTempDir('samsa-bench-');
try {
  await benchAppend(dir);
  await benchRead(dir);
  await benchTransport();
} finally {
  await new NodeFileSystem().remove(dir, { recursive: true });
}
