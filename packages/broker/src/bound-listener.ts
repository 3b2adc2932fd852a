/**
 * BoundListener: the client listener, bound before the broker opens anything, so a port
 * in use fails the start while no log is open (issue 11, defect 2). Until `serve` is
 * called, accepted connections are held without reading them (the client waits, as for a
 * slow accept), at most `HELD_CONNECTIONS_MAX`; more are closed at once. `serve` hands the
 * held ones to the broker in accept order, then every new one.
 */
import type { Connection, Listener, Transport } from '@samsa/runtime';
import type { ServerConfig } from './config/server-config.ts';

export const HELD_CONNECTIONS_MAX = 1024;

export class BoundListener {
  readonly listener: Listener;
  #held: Connection[] = [];
  #attach: ((connection: Connection) => void) | null = null;
  #closed = false;

  private constructor(listener: Listener) {
    this.listener = listener;
  }

  /** Binds the first configured listener (the client listener); port 0 binds a free port. */
  static async bind(transport: Transport, config: ServerConfig): Promise<BoundListener> {
    const l = config.listeners[0]!;
    let bound: BoundListener | null = null;
    const early: Connection[] = [];
    const listener = await transport.listen({ host: l.host === '' ? '0.0.0.0' : l.host, port: l.port }, (c) => (bound ? bound.#accept(c) : early.push(c)));
    bound = new BoundListener(listener);
    for (const c of early) bound.#accept(c);
    return bound;
  }

  get host(): string {
    return this.listener.host;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Starts serving: the held connections first. Call once. */
  serve(attach: (connection: Connection) => void): void {
    if (this.#attach !== null) throw new Error('BoundListener.serve called twice');
    this.#attach = attach;
    const held = this.#held;
    this.#held = [];
    for (const c of held) attach(c);
  }

  /** Stops accepting and closes the connections still held. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#held) c.destroy();
    this.#held = [];
    await this.listener.close();
  }

  #accept(connection: Connection): void {
    if (this.#attach !== null) return this.#attach(connection);
    if (this.#closed || this.#held.length >= HELD_CONNECTIONS_MAX) return connection.destroy();
    this.#held.push(connection);
  }
}
