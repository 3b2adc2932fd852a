/**
 * brokerRequest: one Kafka request at one fixed version to one broker address, and its
 * answer, over the client's BrokerConnection (@samsa/client): connect, ApiVersions, the
 * request, close. For what `topics describe` and `cluster` ask each broker on its own —
 * Metadata that tolerates partitions without a leader, DescribeConfigs, ListOffsets per
 * leader, and DescribeLogDirs, which the client's Admin does not send.
 *
 * The version is pinned (the connection offers the broker only that version of the API),
 * so the request body and the fields read from the answer are the ones the caller wrote
 * for; a broker that does not serve it rejects with UnsupportedVersionError before anything
 * is written.
 *
 * Bounded: the whole exchange — connect and handshake included — takes at most `timeoutMs`
 * (one AbortSignal across it); on timeout, a refused connection, a close before the answer
 * or an answer that does not decode it rejects with BrokerRequestError, and the connection
 * is always closed. Nothing is retried.
 */
import { BrokerConnection, CLIENT_API_VERSIONS } from '@samsa/client';
import type { KafkaApi } from '@samsa/client';
import { ApiVersionsRequestCodec } from '@samsa/codec/wire';
import { NodeTransport } from '@samsa/runtime/node';
import { systemClock } from '@samsa/runtime';

export class BrokerRequestError extends Error {
  override readonly name = 'BrokerRequestError';
}

export interface BrokerRequest<Req, Res> {
  readonly host: string;
  readonly port: number;
  readonly api: KafkaApi<Req, Res>;
  readonly version: number;
  readonly body: Req;
  readonly timeoutMs: number;
  readonly clientId?: string;
}

export async function brokerRequest<Req, Res>(r: BrokerRequest<Req, Res>): Promise<Res> {
  const target = `${r.host}:${r.port}`;
  const apiVersionsKey = ApiVersionsRequestCodec.meta.apiKey;
  const clientApiVersions = new Map([
    [apiVersionsKey, CLIENT_API_VERSIONS.get(apiVersionsKey) ?? { minVersion: 0, maxVersion: 0 }],
    [r.api.request.meta.apiKey, { minVersion: r.version, maxVersion: r.version }],
  ]);
  const signal = AbortSignal.timeout(r.timeoutMs);
  let connection: BrokerConnection | null = null;
  try {
    connection = await BrokerConnection.connect({
      transport: new NodeTransport(),
      clock: systemClock,
      host: r.host,
      port: r.port,
      clientId: r.clientId ?? 'samsa-cli',
      connectTimeoutMs: r.timeoutMs,
      requestTimeoutMs: r.timeoutMs,
      clientApiVersions,
      signal,
    });
    return await connection.request(r.api, r.body, { signal });
  } catch (error) {
    const why = signal.aborted ? `no answer within ${r.timeoutMs} ms` : (error as Error).message;
    throw new BrokerRequestError(`${target}: ${why}`, { cause: error });
  } finally {
    await connection?.close();
  }
}
