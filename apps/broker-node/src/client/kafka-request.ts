/**
 * kafkaRequest: one Kafka request to one broker and its response, for the few APIs the
 * CLI needs that KafkaJS does not send (DescribeLogDirs). Opens a connection through the
 * runtime's NodeTransport, writes one frame encoded by @samsa/codec, reads one response
 * frame (at most RESPONSE_FRAME_BYTES_MAX), decodes it and closes.
 *
 * Bounded: the whole exchange — connect included — takes at most `timeoutMs`; on timeout,
 * a refused connection, a close before the answer or a response that does not decode it
 * rejects with KafkaRequestError and the connection is destroyed. Nothing is retried.
 */
import { decodeResponseFrame, encodeRequestFrame, FrameSplitter } from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';
import type { Connection } from '@samsa/runtime';
import { NodeTransport } from '@samsa/runtime/node';

export const RESPONSE_FRAME_BYTES_MAX = 64 * 1024 * 1024;
const CORRELATION_ID = 1;

export class KafkaRequestError extends Error {
  override readonly name = 'KafkaRequestError';
}

export interface KafkaRequest<Req, Res> {
  readonly host: string;
  readonly port: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly request: MessageCodec<Req>;
  readonly body: Req;
  readonly response: MessageCodec<Res>;
  readonly timeoutMs: number;
  readonly clientId?: string;
}

export function kafkaRequest<Req, Res>(r: KafkaRequest<Req, Res>): Promise<Res> {
  const target = `${r.host}:${r.port}`;
  return new Promise<Res>((resolve, reject) => {
    let connection: Connection | null = null;
    let settled = false;
    const finish = (error: Error | null, body?: Res): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection?.destroy();
      if (error) reject(error);
      else resolve(body as Res);
    };
    const timer = setTimeout(() => finish(new KafkaRequestError(`no answer from ${target} within ${r.timeoutMs} ms`)), r.timeoutMs);
    const splitter = new FrameSplitter({ frameBytesMax: RESPONSE_FRAME_BYTES_MAX, api: r.response.name });
    new NodeTransport().connect({ host: r.host, port: r.port }).then(
      (c) => {
        connection = c;
        if (settled) return c.destroy();
        c.start({
          onData: (chunk) => {
            try {
              const frame = splitter.push(chunk)[0];
              if (!frame) return;
              const decoded = decodeResponseFrame(frame, r.apiKey, r.apiVersion, r.response);
              if (decoded.correlationId !== CORRELATION_ID) throw new Error(`correlation id ${decoded.correlationId}, expected ${CORRELATION_ID}`);
              finish(null, decoded.body);
            } catch (error) {
              finish(new KafkaRequestError(`bad answer from ${target}: ${(error as Error).message}`));
            }
          },
          onClose: (error) => finish(new KafkaRequestError(`${target} closed the connection${error ? `: ${error.message}` : ''}`)),
        });
        const header = { requestApiKey: r.apiKey, requestApiVersion: r.apiVersion, correlationId: CORRELATION_ID, clientId: r.clientId ?? 'samsa-cli' };
        c.write(encodeRequestFrame(header, r.request, r.body)).catch((error: unknown) => finish(new KafkaRequestError(`writing to ${target} failed: ${(error as Error).message}`)));
      },
      (error: unknown) => finish(new KafkaRequestError(`cannot connect to ${target}: ${(error as Error).message}`)),
    );
  });
}
