/**
 * How a failed gateway call maps onto the store's failure semantics.
 *
 * The gateway answers a failed RPC with a JSON body `{"error","message","code"}` (unary) or a
 * line `{"error":{"grpc_code","http_code","message"}}` (streams), `code` being the gRPC status.
 * The rule that matters is whether a write may have been applied:
 * - never sent (connection refused, DNS) or refused by the server before proposing it (no
 *   leader, too many requests, not capable): `unavailable`, and the next endpoint may try it;
 * - sent and then lost (our timeout fired, the connection broke mid-request, or etcd's own
 *   "request timed out" / "leader changed" / "server stopped"): `unknown-outcome` for a write,
 *   while a read is simply tried again on the next endpoint.
 */
import { MetadataStoreError } from '../metadata-store.ts';

/** The attempt failed; `retry` says whether another endpoint may try the same request. */
export interface AttemptFailure {
  readonly error: MetadataStoreError;
  readonly retry: boolean;
}

const GRPC_NOT_FOUND = 5;
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_OUT_OF_RANGE = 11;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** etcd errors raised before a request is proposed to raft: it was not applied. */
const REFUSED_BEFORE_PROPOSAL = /no leader|not capable|too many requests|unhealthy cluster|not started|raft: stopped/i;

/** Errors of `fetch` itself that mean no request left this process. */
const NOT_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|connection refused|dns error|failed to lookup/i;

export function isLeaseNotFound(code: number, message: string): boolean {
  return code === GRPC_NOT_FOUND && /lease not found/i.test(message);
}

/** A gRPC status from the gateway, for a request that was `write` (may change state) or not. */
export function classifyGrpcError(code: number, message: string, write: boolean, endpoint: string): AttemptFailure {
  const text = `etcd ${endpoint}: ${message} (gRPC code ${code})`;
  if (isLeaseNotFound(code, message)) return { error: new MetadataStoreError('lease-not-found', text), retry: false };
  if (code === GRPC_INVALID_ARGUMENT || code === GRPC_FAILED_PRECONDITION || code === GRPC_OUT_OF_RANGE || code === GRPC_NOT_FOUND) {
    return { error: new MetadataStoreError('invalid-argument', text), retry: false };
  }
  if (code === GRPC_RESOURCE_EXHAUSTED || REFUSED_BEFORE_PROPOSAL.test(message) || !write) {
    return { error: new MetadataStoreError('unavailable', text), retry: true };
  }
  return { error: new MetadataStoreError('unknown-outcome', text), retry: false };
}

/** `fetch` threw (or our timeout aborted it) before a response arrived. */
export function classifyFetchError(cause: unknown, timedOut: boolean, write: boolean, endpoint: string): AttemptFailure {
  const detail = describeCause(cause);
  if (!timedOut && NOT_SENT.test(detail)) {
    return { error: new MetadataStoreError('unavailable', `etcd ${endpoint}: not reachable (${detail})`, { cause }), retry: true };
  }
  const what = timedOut ? 'no response within the request timeout' : `connection lost (${detail})`;
  if (write) return { error: new MetadataStoreError('unknown-outcome', `etcd ${endpoint}: ${what} after the write was sent`, { cause }), retry: false };
  return { error: new MetadataStoreError('unavailable', `etcd ${endpoint}: ${what}`, { cause }), retry: true };
}

/** The message and nested causes' codes/messages of an error (undici puts ECONNREFUSED in `cause`). */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current != null; depth++) {
    if (typeof current === 'object') {
      const { message, code } = current as { message?: unknown; code?: unknown };
      if (typeof code === 'string') parts.push(code);
      if (typeof message === 'string') parts.push(message);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(': ');
}
