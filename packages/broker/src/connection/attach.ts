/**
 * attachSession: binds a ConnectionSession to a runtime Connection (@samsa/runtime's
 * Transport interface) — the only place the broker touches a socket.
 *
 * - chunks from `onData` go to `session.push`;
 * - `sink.send` calls `connection.write`; when its promise resolves (the adapter's send
 *   buffer is below its high-water mark) the bytes count as drained, which is what lets
 *   the session resume reading a paused socket;
 * - `sink.close(graceful)` flushes then closes, or destroys at once;
 * - the peer closing (or an I/O error) ends the session;
 * - `lastActivityMs` (bytes in, responses out) lets the broker close idle connections.
 */
import type { Clock, Connection } from '@samsa/runtime';
import { ConnectionSession, responseByteLength } from './connection-session.ts';
import type { SessionOptions } from './connection-session.ts';

export interface AttachedConnection {
  readonly session: ConnectionSession;
  readonly connection: Connection;
  /** Resolves when the socket is closed (either side). */
  readonly closed: Promise<void>;
  /** Monotonic time of the last byte read or response queued (idle-connection reaping). */
  readonly lastActivityMs: number;
}

export function attachSession(connection: Connection, options: SessionOptions, clock: Clock): AttachedConnection {
  let resolveClosed!: () => void;
  let lastActivityMs = clock.monotonicMs();
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let socketClosed = false;
  const session: ConnectionSession = new ConnectionSession({ nowMs: () => clock.monotonicMs(), ...options }, {
    send(bytes) {
      lastActivityMs = clock.monotonicMs();
      let written: Promise<void>;
      try {
        written = connection.write(bytes);
      } catch {
        written = Promise.reject(new Error('write failed'));
      }
      written.then(
        () => session.drained(responseByteLength(bytes)),
        () => session.end('write-failed', false),
      );
    },
    setReading(reading) {
      if (socketClosed) return;
      try {
        if (reading) connection.resume();
        else connection.pause();
      } catch {
        session.end('transport-failed', false);
      }
    },
    close(_reason, graceful) {
      if (socketClosed) return;
      try {
        if (graceful) connection.close().catch(() => connection.destroy());
        else connection.destroy();
      } catch {
        // Already closed: nothing left to release.
      }
    },
  });
  connection.start({
    onData: (chunk) => {
      lastActivityMs = clock.monotonicMs();
      session.push(chunk);
    },
    onClose: () => {
      socketClosed = true;
      session.end('peer-closed', false);
      resolveClosed();
    },
  });
  return {
    session,
    connection,
    closed,
    get lastActivityMs() {
      return lastActivityMs;
    },
  };
}
