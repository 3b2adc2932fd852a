/**
 * Raw Kafka-protocol sockets for the benches: connect to a broker on 127.0.0.1, send an
 * ApiVersions v0 probe, read one size-prefixed frame.
 *
 * Bounds: connecting and reading a frame each have a timeout; a frame is read whole into
 * memory, so one announcing more than FRAME_BYTES_MAX is refused (callers read answers,
 * not fetches).
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { HOST } from './repo-paths.ts';

const API_VERSIONS_KEY = 18;
const TIMEOUT_MS_DEFAULT = 2_000;
const FRAME_BYTES_MAX = 64 * 1024 * 1024;

/** An ApiVersions v0 request frame (size, api key 18, version 0, correlation id, client id). */
export function apiVersionsFrame(correlationId: number, clientId = 'probe'): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + id.length);
  body.writeInt16BE(API_VERSIONS_KEY, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(id.length, 8);
  id.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Sends ApiVersions v0 on a fresh connection; true if a well-formed answer with error 0 comes back. */
export async function probeApiVersions(port: number, timeoutMs = TIMEOUT_MS_DEFAULT): Promise<boolean> {
  const socket = await connect(port, timeoutMs);
  try {
    socket.write(apiVersionsFrame(7));
    const response = await readFrame(socket, timeoutMs);
    return response.readInt32BE(0) === 7 && response.readInt16BE(4) === 0;
  } finally {
    socket.destroy();
  }
}

export function connect(port: number, timeoutMs = TIMEOUT_MS_DEFAULT): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${HOST}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads one size-prefixed frame (without its prefix) or rejects on close/timeout. */
export function readFrame(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (error: Error | null, frame?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(frame!);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (size < 0 || size > FRAME_BYTES_MAX) done(new Error(`frame of ${size} bytes announced, outside 0..${FRAME_BYTES_MAX}`));
        else if (buffered.length >= 4 + size) done(null, buffered.subarray(4, 4 + size));
      }
    };
    const onClose = (): void => done(new Error('connection closed before a whole frame arrived'));
    const timer = setTimeout(() => done(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
