/**
 * `EtcdMetadataStore`: the `MetadataStore` over etcd's v3 JSON gateway (etcd ≥ 3.4), with the
 * Web-standard `fetch` only, so the same code runs on Node and Deno with no native client.
 *
 * The mapping is thin (the interface is etcd's model): a prefix is a `[key, range_end)`
 * range, compares and ops map one to one onto `TxnRequest`, lease ids are etcd's int64 ids
 * as decimal strings. Which calls count as writes (their lost response is `unknown-outcome`,
 * never re-sent): put, delete, and a txn with a put or delete in either branch. Reads,
 * keepAlive and revokeLease (both idempotent) and grantLease are retried on the next
 * endpoint instead — a lease granted by a lost attempt has no keys and simply expires.
 * Failover, timeouts and backoff: etcd-gateway-client.ts; watches: etcd-watch.ts.
 */
import { MetadataStoreError } from '../metadata-store.ts';
import type { Compare, KeepAliveOptions, KeyValue, Lease, MetadataStore, RangeResult, Txn, TxnOp, TxnOpResult, TxnResult, WatchBatch } from '../metadata-store.ts';
import { bytesToBase64, int64, keyToBase64, prefixRange } from './etcd-bytes.ts';
import { EtcdGatewayClient } from './etcd-gateway-client.ts';
import type { EtcdGatewayOptions } from './etcd-gateway-client.ts';
import { headerRevision, toKeyValue } from './etcd-json.ts';
import type { JsonDeleteRangeResponse, JsonLeaseGrantResponse, JsonLeaseKeepAliveLine, JsonPutResponse, JsonRangeResponse, JsonTxnResponse } from './etcd-json.ts';
import { etcdWatch } from './etcd-watch.ts';
import { classifyGrpcError } from './etcd-errors.ts';

/** The gateway client's options, plus the watch bounds. */
export interface EtcdMetadataStoreOptions extends EtcdGatewayOptions {
  /** Consecutive failed reconnects before a watch fails `unavailable` (default 10). */
  readonly watchReconnectsMax?: number;
  /** Longest watch-stream line held (default 16 MiB of JSON). */
  readonly watchLineCharsMax?: number;
  /** Most revisions held from one watch response (default 1024; etcd sends at most 1000). */
  readonly watchBatchesMax?: number;
}

const LEASE_ID = /^-?[0-9]{1,20}$/;

export class EtcdMetadataStore implements MetadataStore {
  readonly #client: EtcdGatewayClient;
  readonly #watchOptions: { reconnectsMax: number; lineCharsMax: number; batchesMax: number };

  constructor(options: EtcdMetadataStoreOptions) {
    this.#client = new EtcdGatewayClient(options);
    this.#watchOptions = {
      reconnectsMax: options.watchReconnectsMax ?? 10,
      lineCharsMax: options.watchLineCharsMax ?? 16 * 1024 * 1024,
      batchesMax: options.watchBatchesMax ?? 1024,
    };
  }

  /** The endpoint the next request goes to first (it changes on failover). */
  get currentEndpoint(): string {
    return this.#client.currentEndpoint;
  }

  async range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult> {
    const limit = options?.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new MetadataStoreError('invalid-argument', `range limit ${limit} is not a count`);
    const range = prefixRange(prefix);
    const request = { key: range.key, range_end: range.rangeEnd, ...(limit ? { limit: String(limit) } : {}) };
    const response = await this.#client.call<JsonRangeResponse>('/v3/kv/range', request, 'read');
    return { kvs: (response.kvs ?? []).map(toKeyValue), revision: headerRevision(response), more: response.more === true };
  }

  async get(key: string): Promise<KeyValue | null> {
    const response = await this.#client.call<JsonRangeResponse>('/v3/kv/range', { key: keyToBase64(key) }, 'read');
    const kv = response.kvs?.[0];
    return kv === undefined ? null : toKeyValue(kv);
  }

  async put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number> {
    const response = await this.#client.call<JsonPutResponse>('/v3/kv/put', putRequest(key, value, options?.lease), 'write');
    return headerRevision(response);
  }

  async delete(key: string): Promise<number> {
    const response = await this.#client.call<JsonDeleteRangeResponse>('/v3/kv/deleterange', { key: keyToBase64(key) }, 'write');
    return int64(response.deleted);
  }

  async txn(txn: Txn): Promise<TxnResult> {
    const success = txn.success;
    const failure = txn.failure ?? [];
    // etcd runs a branch's ops in order and a read sees the writes before it, which is the
    // interface's rule too: the ops go as they are.
    const request = {
      compare: txn.compare.map(toCompare),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    const writes = [...success, ...failure].some(isWrite);
    const response = await this.#client.call<JsonTxnResponse>('/v3/kv/txn', request, writes ? 'write' : 'read');
    const succeeded = response.succeeded === true;
    const ops = succeeded ? success : failure;
    const responses = response.responses ?? [];
    if (responses.length !== ops.length) {
      throw new MetadataStoreError(writes ? 'unknown-outcome' : 'unavailable', `etcd txn: ${responses.length} results for ${ops.length} operations`);
    }
    const results = ops.map((op, i): TxnOpResult => {
      const r = responses[i]!;
      if (op.type === 'put') return { type: 'put' };
      if (op.type === 'delete' || op.type === 'delete-prefix') return { type: 'delete', deleted: int64(r.response_delete_range?.deleted) };
      return { type: op.type, kvs: (r.response_range?.kvs ?? []).map(toKeyValue) };
    });
    return { succeeded, revision: headerRevision(response), results };
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new MetadataStoreError('invalid-argument', `lease ttlMs ${ttlMs} must be positive`);
    const ttlSeconds = Math.ceil(ttlMs / 1000);
    const response = await this.#client.call<JsonLeaseGrantResponse>('/v3/lease/grant', { TTL: String(ttlSeconds) }, 'read');
    if (response.error) throw new MetadataStoreError('unavailable', `etcd lease grant: ${response.error}`);
    if (response.ID === undefined) throw new MetadataStoreError('unavailable', 'etcd lease grant: no lease id in the answer');
    return { id: String(response.ID), ttlMs: int64(response.TTL) * 1000 };
  }

  async keepAlive(leaseId: string, options: KeepAliveOptions = {}): Promise<number> {
    checkLeaseId(leaseId);
    // A stream RPC: the gateway sends our one request and answers one `{"result"}` line.
    const line = await this.#client.call<JsonLeaseKeepAliveLine>('/v3/lease/keepalive', { ID: leaseId }, 'read', options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    if (line.error !== undefined) {
      const message = line.error.message ?? JSON.stringify(line.error);
      throw classifyGrpcError(line.error.grpc_code ?? 2, message, false, this.#client.currentEndpoint).error;
    }
    // etcd answers an unknown or expired lease with TTL 0 (omitted), not with an error.
    const ttlSeconds = int64(line.result?.TTL);
    if (ttlSeconds <= 0) throw new MetadataStoreError('lease-not-found', `etcd lease ${leaseId} not found (expired or revoked)`);
    return ttlSeconds * 1000;
  }

  async revokeLease(leaseId: string): Promise<void> {
    checkLeaseId(leaseId);
    try {
      await this.#client.call<unknown>('/v3/lease/revoke', { ID: leaseId }, 'read');
    } catch (error) {
      if (error instanceof MetadataStoreError && error.code === 'lease-not-found') return;
      throw error;
    }
  }

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch> {
    return etcdWatch(this.#client, prefix, fromRevision, signal, this.#watchOptions);
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

function isWrite(op: TxnOp): boolean {
  return op.type === 'put' || op.type === 'delete' || op.type === 'delete-prefix';
}

function checkLeaseId(leaseId: string): void {
  if (!LEASE_ID.test(leaseId)) throw new MetadataStoreError('invalid-argument', `lease id ${JSON.stringify(leaseId)} is not an etcd lease id`);
}

function putRequest(key: string, value: Uint8Array, lease: string | undefined): Record<string, string> {
  if (lease !== undefined) checkLeaseId(lease);
  return { key: keyToBase64(key), value: bytesToBase64(value), ...(lease !== undefined ? { lease } : {}) };
}

const COMPARE_RESULT = { equal: 'EQUAL', 'not-equal': 'NOT_EQUAL', less: 'LESS', greater: 'GREATER' } as const;

function toCompare(compare: Compare): Record<string, string> {
  const key = keyToBase64(compare.key);
  const result = COMPARE_RESULT[compare.op];
  if (result === undefined) throw new MetadataStoreError('invalid-argument', `compare op ${String(compare.op)} is unknown`);
  switch (compare.target) {
    case 'createRevision':
    case 'modRevision':
    case 'version': {
      if (!Number.isSafeInteger(compare.value) || compare.value < 0) {
        throw new MetadataStoreError('invalid-argument', `compare ${compare.target} of ${compare.key}: ${compare.value} is not a count`);
      }
      const [target, field] = compare.target === 'createRevision' ? ['CREATE', 'create_revision'] : compare.target === 'modRevision' ? ['MOD', 'mod_revision'] : ['VERSION', 'version'];
      return { key, target, result, [field]: String(compare.value) };
    }
    case 'value':
      return { key, target: 'VALUE', result, value: bytesToBase64(compare.value) };
    case 'lease':
      if (compare.value !== null) checkLeaseId(compare.value);
      return { key, target: 'LEASE', result, lease: compare.value ?? '0' };
    default:
      throw new MetadataStoreError('invalid-argument', `compare target ${String((compare as { target: unknown }).target)} is unknown`);
  }
}

function toRequestOp(op: TxnOp): Record<string, unknown> {
  switch (op.type) {
    case 'put':
      return { request_put: putRequest(op.key, op.value, op.lease) };
    case 'delete':
      return { request_delete_range: { key: keyToBase64(op.key) } };
    case 'delete-prefix': {
      const range = prefixRange(op.prefix);
      return { request_delete_range: { key: range.key, range_end: range.rangeEnd } };
    }
    case 'get':
      return { request_range: { key: keyToBase64(op.key) } };
    case 'range': {
      const range = prefixRange(op.prefix);
      return { request_range: { key: range.key, range_end: range.rangeEnd } };
    }
    default:
      throw new MetadataStoreError('invalid-argument', `txn op ${String((op as { type: unknown }).type)} is unknown`);
  }
}
