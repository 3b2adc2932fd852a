/**
 * The cluster metadata store: a small, etcd-shaped key-value interface with revisions,
 * leases, compare-and-set transactions and watches. Three implementations sit behind it:
 * `etcd` (the v3 JSON gateway over `fetch`), `simulated` (deterministic, in memory, with
 * injected faults, for property tests and the whole-cluster simulator) and `local` (one
 * broker, a file in its data dir).
 *
 * Model (etcd's, so the etcd implementation is a thin mapping):
 * - Keys are strings; values are bytes. Every committed write (a put, a delete, or a
 *   transaction with at least one of them) advances the store's **revision** by exactly
 *   one, and every key it touches gets that revision as its `modRevision`. A write that
 *   changes nothing (deletes of absent keys only) leaves the revision as it is (etcd's rule). A key created
 *   (or re-created after a delete) gets it as its `createRevision` too; `version` counts the
 *   puts since it was created (1 after creation).
 * - A **transaction** evaluates every compare against the state at one revision and then
 *   runs all of `success` (if every compare held) or all of `failure`, atomically. Its ops
 *   run in order: a read sees the writes before it in the same branch (as in etcd, whose
 *   write transaction reads at revision + 1 once it has changed a key). etcd refuses
 *   (`invalid-argument`) a transaction either of whose branches puts one key twice or puts
 *   a key it also deletes, whatever the compares say.
 *   A write that changes no key (a delete of a missing key) does not advance the revision.
 * - A **lease** has a time to live. Keys put with a lease are deleted (one revision per
 *   expiry) when it expires or is revoked. `keepAlive` renews it to its full TTL.
 * - A **watch** over a prefix delivers every change at revision ≥ `fromRevision`, in
 *   revision order, grouped by revision, none skipped and none twice. When `fromRevision`
 *   is older than the store's compaction point, the watch fails with `CompactedError`; the
 *   caller reads the prefix again (`range`) and watches from that range's revision + 1.
 *
 * Failure semantics (what callers must handle):
 * - `MetadataStoreError` with code `unavailable`: the request was not applied (refused
 *   before it reached the store, or the store said so). Safe to retry.
 * - code `unknown-outcome`: a write timed out or its connection broke after it was sent; it
 *   may or may not have been applied. Read back (or compare-and-set on a revision) to know.
 * - code `lease-not-found`: the lease expired or was revoked; its keys are gone or going.
 * - `CompactedError`: a watch asked for history the store no longer keeps.
 *
 * Revisions, versions and TTLs are JavaScript numbers: etcd's int64 revisions stay far
 * below 2^53 in any real cluster. Lease ids are opaque strings (etcd's are int64).
 */

/** One key's current state. */
export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision of the write that created the key (since its last delete). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
  /** Puts since creation: 1 after the creating put. */
  readonly version: number;
  /** The lease the key is attached to, or null. */
  readonly lease: string | null;
}

/**
 * A compare of a transaction. A missing key has createRevision, modRevision and version 0
 * and lease null; a `value` compare on a missing key fails, `equal` and `not-equal` alike
 * (etcd's rule).
 */
export type Compare =
  | { readonly key: string; readonly target: 'createRevision' | 'modRevision' | 'version'; readonly op: CompareOp; readonly value: number }
  | { readonly key: string; readonly target: 'value'; readonly op: 'equal' | 'not-equal'; readonly value: Uint8Array }
  | { readonly key: string; readonly target: 'lease'; readonly op: 'equal' | 'not-equal'; readonly value: string | null };

export type CompareOp = 'equal' | 'not-equal' | 'less' | 'greater';

/** An operation of a transaction. */
export type TxnOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array; readonly lease?: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'delete-prefix'; readonly prefix: string }
  | { readonly type: 'get'; readonly key: string }
  | { readonly type: 'range'; readonly prefix: string };

/** The result of one TxnOp, in order. */
export type TxnOpResult =
  | { readonly type: 'put' }
  | { readonly type: 'delete'; readonly deleted: number }
  | { readonly type: 'get' | 'range'; readonly kvs: readonly KeyValue[] };

export interface Txn {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure?: readonly TxnOp[];
}

export interface TxnResult {
  /** Every compare held, so `success` ran (else `failure`). */
  readonly succeeded: boolean;
  /** The store's revision after the transaction (unchanged when it wrote nothing). */
  readonly revision: number;
  readonly results: readonly TxnOpResult[];
}

export interface RangeResult {
  /** Keys under the prefix in ascending key order (at most `limit`). */
  readonly kvs: readonly KeyValue[];
  /** The revision the range was read at. */
  readonly revision: number;
  /** More keys matched than `limit`. */
  readonly more: boolean;
}

export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key with an empty value and `modRevision` = the delete's revision. */
  readonly kv: KeyValue;
}

/** All the events of one revision under the watched prefix. */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

export interface KeepAliveOptions {
  /** Deadline of one attempt (default: the store's request timeout). */
  readonly timeoutMs?: number;
}

export interface MetadataStore {
  /** Keys under `prefix` ('' = all), ascending. */
  range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult>;
  get(key: string): Promise<KeyValue | null>;
  put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number>;
  /** Resolves how many keys were deleted (0 or 1). */
  delete(key: string): Promise<number>;
  txn(txn: Txn): Promise<TxnResult>;
  /** A new lease; `ttlMs` is rounded up to whole seconds by etcd. */
  grantLease(ttlMs: number): Promise<Lease>;
  /**
   * Renews the lease to its full TTL; resolves the TTL left (ms). Rejects `lease-not-found`
   * when it is gone. `timeoutMs` bounds each attempt (etcd; the in-process stores answer at once).
   */
  keepAlive(leaseId: string, options?: KeepAliveOptions): Promise<number>;
  /** Revokes the lease and deletes its keys. A lease already gone is not an error. */
  revokeLease(leaseId: string): Promise<void>;
  /**
   * Changes under `prefix` from `fromRevision` on, until `signal` aborts (the iterator then
   * ends) or the watch fails (`CompactedError`, or `unavailable` after the implementation's
   * own reconnects are exhausted). Bounded: an implementation buffers at most a fixed
   * number of undelivered batches and fails the watch with `unavailable` past it.
   */
  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch>;
  /** Stops timers and connections; later calls reject `unavailable`. */
  close(): Promise<void>;
}

export type MetadataStoreErrorCode = 'unavailable' | 'unknown-outcome' | 'lease-not-found' | 'invalid-argument';

export class MetadataStoreError extends Error {
  override readonly name = 'MetadataStoreError';
  readonly code: MetadataStoreErrorCode;
  constructor(code: MetadataStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A watch from a revision the store has compacted away: re-read and watch from the read's revision + 1. */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  readonly code = 'compacted';
  /** The oldest revision the store still has history for. */
  readonly compactRevision: number;
  constructor(compactRevision: number, fromRevision: number) {
    super(`watch from revision ${fromRevision}: history before ${compactRevision} is compacted`);
    this.compactRevision = compactRevision;
  }
}
