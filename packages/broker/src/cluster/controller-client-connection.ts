/**
 * ForwardConnection: one Kafka-protocol connection from a broker to the controller broker,
 * carrying forwarded admin requests (controller-client.ts owns it).
 *
 * - Requests are length-prefixed frames with request header clientId `clientId` and a
 *   correlation id of their own (int32, wrapping, never reused while pending); responses
 *   are matched by correlation id. A response nobody waits for any more (its request timed
 *   out) is read and dropped.
 * - A failure of the connection (peer closed, write failed, a response frame that does not
 *   decode or is too large) closes it and answers every pending request NOT_CONTROLLER:
 *   the caller opens a new connection for the next request. Nothing is retried here.
 * - Bounded: at most `pendingMax` requests pending (the caller enforces its in-flight
 *   bound first; this is the backstop), response frames at most `frameBytesMax` bytes.
 */
import { decodeResponseFrame, DecodeError, encodeRequestFrame, FrameSplitter } from '@samsa/codec';
import type { ControllerReply } from '@samsa/coordinator';
import type { Connection, Transport } from '@samsa/runtime';
import { failure, type ForwardMessage } from './controller-client-messages.ts';

/** Admin responses are small; a larger frame means the stream is not what we think. */
export const RESPONSE_FRAME_BYTES_MAX = 16 * 1024 * 1024;

interface Pending {
  readonly message: ForwardMessage;
  readonly resolve: (reply: ControllerReply) => void;
}

export class ForwardConnection {
  readonly target: string;
  readonly #connection: Connection;
  readonly #clientId: string;
  readonly #pendingMax: number;
  readonly #pending = new Map<number, Pending>();
  readonly #splitter = new FrameSplitter({ frameBytesMax: RESPONSE_FRAME_BYTES_MAX, api: 'ForwardedResponse' });
  #nextCorrelationId = 1;
  #closed = false;

  private constructor(connection: Connection, target: string, clientId: string, pendingMax: number) {
    this.#connection = connection;
    this.target = target;
    this.#clientId = clientId;
    this.#pendingMax = pendingMax;
    connection.start({
      onData: (chunk) => this.#onData(chunk),
      onClose: () => this.#fail('the connection to the controller closed'),
    });
  }

  /** Connects to `host:port`; rejects with the transport's error when it cannot. */
  static async open(transport: Transport, host: string, port: number, clientId: string, pendingMax: number): Promise<ForwardConnection> {
    const connection = await transport.connect({ host, port });
    return new ForwardConnection(connection, `${host}:${port}`, clientId, pendingMax);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends `message`; `reply` resolves with the controller's answer, or NOT_CONTROLLER when
   * the connection fails first. `cancel()` stops waiting (the response is then dropped).
   */
  send(message: ForwardMessage): { readonly reply: Promise<ControllerReply>; cancel(): void } {
    if (this.#closed) return { reply: Promise.resolve(failure('NOT_CONTROLLER', 'the connection to the controller is closed')), cancel: () => undefined };
    if (this.#pending.size >= this.#pendingMax) return { reply: Promise.resolve(failure('REQUEST_TIMED_OUT', `more than ${this.#pendingMax} requests pending at the controller`)), cancel: () => undefined };
    const correlationId = this.#takeCorrelationId();
    const header = { requestApiKey: message.apiKey, requestApiVersion: message.apiVersion, correlationId, clientId: this.#clientId };
    const frame = encodeRequestFrame(header, message.request, message.body);
    const reply = new Promise<ControllerReply>((resolve) => this.#pending.set(correlationId, { message, resolve }));
    this.#connection.write(frame).catch(() => this.#fail('writing to the controller failed'));
    return { reply, cancel: () => void this.#pending.delete(correlationId) };
  }

  /** Closes the connection; every pending request gets NOT_CONTROLLER. */
  close(): void {
    this.#fail('the connection to the controller was closed');
  }

  #takeCorrelationId(): number {
    for (;;) {
      const id = this.#nextCorrelationId;
      this.#nextCorrelationId = id >= 0x7fffffff ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.#fail(`bad response frame from the controller: ${error.message}`);
      return;
    }
    for (const frame of frames) {
      if (frame.byteLength < 4) return this.#fail('response frame from the controller shorter than its header');
      const correlationId = new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0);
      const pending = this.#pending.get(correlationId);
      if (!pending) continue;
      this.#pending.delete(correlationId);
      const m = pending.message;
      try {
        const { body } = decodeResponseFrame(frame, m.apiKey, m.apiVersion, m.response);
        pending.resolve(m.replyOf(body));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        pending.resolve(failure('NOT_CONTROLLER', `the controller's response did not decode: ${error.message}`));
        return this.#fail('a response from the controller did not decode');
      }
    }
  }

  #fail(reason: string): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#connection.destroy();
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.resolve(failure('NOT_CONTROLLER', reason));
  }
}
