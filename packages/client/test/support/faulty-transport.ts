/**
 * FaultyTransport: a Transport over another one that can lose a Produce response.
 *
 * `loseNextProduceResponses(n)`: for the next `n` connections that write a Produce request,
 * the bytes that come back after it are dropped and the connection is destroyed — the
 * broker has appended, the client never hears so (the "lost acknowledgement" case an
 * idempotent producer must deduplicate on retry). `produceRequestsSeen` counts Produce
 * frames written (a frame starting a chunk; the client writes each request as one chunk).
 */
import { ApiKey } from '@samsa/codec/wire';
import type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from '@samsa/runtime';

export class FaultyTransport implements Transport {
  readonly #inner: Transport;
  #toLose = 0;
  produceRequestsSeen = 0;
  responsesLost = 0;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  loseNextProduceResponses(count: number): void {
    this.#toLose = count;
  }

  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    return this.#inner.listen(options, onConnection);
  }

  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    const inner = await this.#inner.connect(options);
    let armed = false;
    let handlers: ConnectionHandlers | null = null;
    const wrapped: Connection = {
      remoteAddress: inner.remoteAddress,
      remotePort: inner.remotePort,
      localPort: inner.localPort,
      start: (h) => {
        handlers = h;
        inner.start({
          onData: (chunk) => {
            if (!armed) return h.onData(chunk);
            this.responsesLost++;
            inner.destroy();
            h.onClose(new Error('connection reset (injected after a Produce)'));
          },
          onClose: (error) => {
            if (!armed) h.onClose(error);
          },
        });
      },
      write: (chunks) => {
        const first = chunks instanceof Uint8Array ? chunks : chunks[0];
        if (first !== undefined && first.length >= 6 && ((first[4]! << 8) | first[5]!) === ApiKey.Produce) {
          this.produceRequestsSeen++;
          if (this.#toLose > 0 && !armed) {
            this.#toLose--;
            armed = true;
          }
        }
        return inner.write(chunks);
      },
      pause: () => inner.pause(),
      resume: () => inner.resume(),
      close: () => inner.close(),
      destroy: () => inner.destroy(),
    };
    void handlers;
    return wrapped;
  }
}
