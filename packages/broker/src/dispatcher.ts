/**
 * Dispatcher: one request frame → one FrameOutcome, by API key.
 *
 *   frame shorter than the 8 fixed header bytes   → close ("malformed")
 *   ApiVersions above our max version             → KIP-511: v0 response with
 *       UNSUPPORTED_VERSION and our ranges, connection stays open (the client retries
 *       with a version we both know, on the same connection)
 *   unknown API key, or a version we do not serve → close (Kafka cannot answer a
 *       request it cannot parse either); one warning per reason and interval (1 s) naming
 *       the client id, the API and the version, the rest counted in `suppressedSinceLast`
 *   header/body fails to decode (short, malformed) → close, logged once per interval
 *   bytes left after the body                     → ignored, as Kafka does (librdkafka >= 2.1
 *       sends 3 extra bytes with its all-topics Metadata v9+ request); counted per API
 *       and logged at debug once per interval
 *   handler result null                           → no response (acks=0 produce)
 *   handler throws CloseConnection                → close without a response
 *   handler throws anything else (a bug)          → close, logged as error
 * Metrics: per-API request count and latency, bytes in/out.
 */
import { ApiKey, ApiVersionsResponseCodec, DecodeError, decodeRequest, encodeResponseFrame, encodeResponseFrameChunks, ErrorCode, peekClientId, peekRequestHeader } from '@samsa/codec';
import type { BrokerContext } from './broker-context.ts';
import { responseByteLength } from './connection/connection-session.ts';
import type { FrameOutcome, ResponseBytes } from './connection/connection-session.ts';
import type { ApiHandler } from './handlers/api-handler.ts';
import { CloseConnection } from './handlers/api-handler.ts';
import { apiVersionsBody } from './handlers/api-versions.ts';
import { RateLimitedLog } from './observability/logger.ts';
import { ScratchLoan, type ReadScratchPool } from './connection/read-scratch-pool.ts';

const NO_RESPONSE: FrameOutcome = { response: null };

export class Dispatcher {
  readonly #ctx: BrokerContext;
  readonly #handlers: ReadonlyMap<number, ApiHandler>;
  readonly #rateLimited = new RateLimitedLog(1000);

  constructor(ctx: BrokerContext, handlers: ReadonlyMap<number, ApiHandler>) {
    this.#ctx = ctx;
    this.#handlers = handlers;
  }

  /**
   * Handles one frame from connection `peer`. Never throws. With `scratch`, the handler may
   * read records into buffers lent from it; they go back once the response is written (the
   * outcome's `release`), and are dropped on any path that sends nothing.
   */
  async handle(frame: Uint8Array, peer: string, scratch?: ReadScratchPool): Promise<FrameOutcome> {
    const ctx = this.#ctx;
    ctx.metrics.bytesIn(frame.byteLength + 4);
    const peeked = peekRequestHeader(frame);
    if (!peeked) return this.#reject('malformed', peer, { bytes: frame.byteLength }, 'request shorter than its header');
    const { apiKey, apiVersion, correlationId } = peeked;
    const handler = this.#handlers.get(apiKey);
    if (apiKey === ApiKey.ApiVersions && handler && apiVersion > handler.maxVersion) {
      const response = encodeResponseFrame(apiKey, 0, correlationId, ApiVersionsResponseCodec, apiVersionsBody(ctx, ErrorCode.UNSUPPORTED_VERSION));
      ctx.metrics.bytesOut(response.byteLength);
      return { response };
    }
    if (!handler) return this.#reject('unsupported-api', peer, { clientId: peekClientId(frame), apiKey, apiVersion }, 'request for an API this broker does not serve');
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      const served = `${handler.minVersion}-${handler.maxVersion}`;
      return this.#reject('unsupported-version', peer, { clientId: peekClientId(frame), api: handler.name, apiVersion, served }, 'request version this broker does not serve');
    }
    const startedMs = ctx.clock.monotonicMs();
    let decoded;
    try {
      decoded = decodeRequest(frame, handler.request);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return this.#reject('malformed', peer, { api: handler.name, apiVersion, reason: e.reason, detail: e.message }, 'malformed request');
    }
    if (decoded.trailingBytes > 0) this.#trailingBytes(handler.name, apiVersion, decoded.trailingBytes, peer);
    let body: unknown;
    // Only Fetch reads records into lent buffers: other requests get no loan.
    const loan = scratch !== undefined && apiKey === ApiKey.Fetch ? new ScratchLoan(scratch) : null;
    try {
      body = await handler.handle(ctx, decoded.body, { apiVersion, correlationId, clientId: decoded.header.clientId, peer, ...(loan === null ? {} : { readScratch: loan }) });
    } catch (e) {
      if (e instanceof CloseConnection) return { response: null, close: e.reason };
      ctx.logger.error({ err: e, api: handler.name, apiVersion, peer }, 'request handler failed; closing the connection');
      return { response: null, close: 'handler-failed' };
    }
    ctx.metrics.requestCompleted(handler.name, apiVersion, (ctx.clock.monotonicMs() - startedMs) / 1000);
    if (body === null) return NO_RESPONSE;
    let response: ResponseBytes;
    try {
      // Fetch responses carry MBs of records: pass those through as chunks instead of copying them.
      response =
        apiKey === ApiKey.Fetch
          ? encodeResponseFrameChunks(apiKey, apiVersion, correlationId, handler.response, body)
          : encodeResponseFrame(apiKey, apiVersion, correlationId, handler.response, body);
    } catch (e) {
      ctx.logger.error({ err: e, api: handler.name, apiVersion, peer }, 'encoding a response failed; closing the connection');
      return { response: null, close: 'encode-failed' };
    }
    ctx.metrics.bytesOut(responseByteLength(response));
    if (loan === null || loan.empty) return { response };
    return { response, release: () => loan.release() };
  }

  #trailingBytes(api: string, apiVersion: number, bytes: number, peer: string): void {
    this.#ctx.metrics.requestTrailingBytes(api, bytes);
    this.#rateLimited.maybeLog(`trailing-bytes:${api}`, this.#ctx.clock.monotonicMs(), (dropped) => {
      this.#ctx.logger.debug({ api, apiVersion, bytes, peer, suppressedSinceLast: dropped }, 'bytes after the request body ignored');
    });
  }

  #reject(reason: string, peer: string, details: Record<string, unknown>, msg: string): FrameOutcome {
    this.#ctx.metrics.connectionRejected(reason);
    this.#rateLimited.maybeLog(reason, this.#ctx.clock.monotonicMs(), (dropped) => {
      this.#ctx.logger.warn({ ...details, peer, reason, suppressedSinceLast: dropped }, `${msg}; closing the connection`);
    });
    return { response: null, close: reason };
  }
}
