/**
 * ApiHandler: what one handler file (src/handlers/<api>.ts) exports — the API key, the
 * versions it serves (exactly what ApiVersions advertises) and `handle`, which turns a
 * decoded request into a response body (or null: no response, for acks=0 Produce).
 *
 * Handlers never throw for client mistakes: they put Kafka error codes in the response.
 * A throw is a broker bug; the dispatcher logs it and closes that connection.
 */
import type { MessageCodec } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';

export interface RequestInfo {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** "host:port" of the client, for logs. */
  readonly peer: string;
  /**
   * Lends buffers to read records into (Fetch), reused once the response holding views of
   * them is written (connection/read-scratch-pool.ts). Absent: read into fresh buffers.
   */
  readonly readScratch?: ReadScratchLender;
}

/** A request's buffer lender: each buffer taken is the request's until its response is written. */
export interface ReadScratchLender {
  /** A buffer of at least min(bytes, the pool's buffer bound) bytes; reads fall back to fresh buffers beyond it. */
  take(bytes: number): Uint8Array;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  /** Name used in metrics and logs, Kafka's (e.g. "Produce"). */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
  handle(ctx: BrokerContext, request: Req, info: RequestInfo): Promise<Res | null> | Res | null;
}

/** Lets a typed handler sit in the untyped handler table. */
export function defineHandler<Req, Res>(h: ApiHandler<Req, Res>): ApiHandler {
  return h as unknown as ApiHandler;
}

// CloseConnection lives in its own file so that modules the BrokerContext refers to (the
// GroupService) can throw it without importing this file, which imports the BrokerContext.
export { CloseConnection } from './close-connection.ts';
