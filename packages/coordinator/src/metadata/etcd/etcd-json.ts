/**
 * The gateway's JSON shapes (proto3 JSON of etcdserverpb) that the store reads, and their
 * mapping to the store's types. proto3 JSON omits default values (0, false, empty bytes),
 * and int64 fields arrive as strings: every field here is optional and numbers go through
 * `int64`.
 */
import type { KeyValue, WatchBatch, WatchEvent } from '../metadata-store.ts';
import { base64ToBytes, base64ToKey, int64 } from './etcd-bytes.ts';

type Int64 = string | number;

export interface JsonHeader {
  readonly revision?: Int64;
}

export interface JsonKeyValue {
  readonly key?: string;
  readonly value?: string;
  readonly create_revision?: Int64;
  readonly mod_revision?: Int64;
  readonly version?: Int64;
  readonly lease?: Int64;
}

export interface JsonRangeResponse {
  readonly header?: JsonHeader;
  readonly kvs?: readonly JsonKeyValue[];
  readonly more?: boolean;
  readonly count?: Int64;
}

export interface JsonPutResponse {
  readonly header?: JsonHeader;
}

export interface JsonDeleteRangeResponse {
  readonly header?: JsonHeader;
  readonly deleted?: Int64;
}

export interface JsonResponseOp {
  readonly response_range?: JsonRangeResponse;
  readonly response_put?: JsonPutResponse;
  readonly response_delete_range?: JsonDeleteRangeResponse;
}

export interface JsonTxnResponse {
  readonly header?: JsonHeader;
  readonly succeeded?: boolean;
  readonly responses?: readonly JsonResponseOp[];
}

export interface JsonLeaseGrantResponse {
  readonly header?: JsonHeader;
  readonly ID?: Int64;
  readonly TTL?: Int64;
  readonly error?: string;
}

/** `/v3/lease/keepalive` is a stream RPC: one POST gets one `{"result": …}` line. */
export interface JsonLeaseKeepAliveLine {
  readonly result?: { readonly header?: JsonHeader; readonly ID?: Int64; readonly TTL?: Int64 };
  readonly error?: { readonly grpc_code?: number; readonly http_code?: number; readonly message?: string };
}

export interface JsonEvent {
  readonly type?: 'PUT' | 'DELETE';
  readonly kv?: JsonKeyValue;
}

export interface JsonWatchResponse {
  readonly header?: JsonHeader;
  readonly watch_id?: Int64;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compact_revision?: Int64;
  readonly cancel_reason?: string;
  readonly events?: readonly JsonEvent[];
}

export interface JsonWatchLine {
  readonly result?: JsonWatchResponse;
  readonly error?: { readonly grpc_code?: number; readonly http_code?: number; readonly message?: string };
}

export function headerRevision(response: { readonly header?: JsonHeader }): number {
  return int64(response.header?.revision);
}

export function toKeyValue(kv: JsonKeyValue): KeyValue {
  const lease = kv.lease === undefined ? '0' : String(kv.lease);
  return {
    key: base64ToKey(kv.key),
    value: base64ToBytes(kv.value),
    createRevision: int64(kv.create_revision),
    modRevision: int64(kv.mod_revision),
    version: int64(kv.version),
    lease: lease === '0' ? null : lease,
  };
}

/**
 * Groups one watch response's events by revision, in order. etcd never splits one
 * revision's events across responses (without the `fragment` option, which we do not set).
 */
export function toWatchBatches(events: readonly JsonEvent[]): WatchBatch[] {
  const batches: { revision: number; events: WatchEvent[] }[] = [];
  for (const event of events) {
    const kv = toKeyValue(event.kv ?? {});
    const watchEvent: WatchEvent = { type: event.type === 'DELETE' ? 'delete' : 'put', kv };
    const last = batches[batches.length - 1];
    if (last !== undefined && last.revision === kv.modRevision) last.events.push(watchEvent);
    else if (last !== undefined && kv.modRevision < last.revision) throw new RangeError(`watch events out of order: ${kv.modRevision} after ${last.revision}`);
    else batches.push({ revision: kv.modRevision, events: [watchEvent] });
  }
  return batches;
}
