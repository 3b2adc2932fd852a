/**
 * The controller election and the fence every controller write carries.
 *
 * - **Campaign:** a broker puts the controller key with its own lease, only if the key does
 *   not exist (compare createRevision == 0). The failure branch reads the key, so a loser
 *   learns the holder in the same round trip. The winner's **controller epoch** is the key's
 *   createRevision, i.e. the revision of the winning txn: a fresh key always gets a higher
 *   revision than any key before it, so epochs grow with every new controller.
 * - **Fence:** every controller write is a txn whose compares start with the controller
 *   key's createRevision == epoch and its value == the campaign's record (the record holds a
 *   random incarnation, so even the same broker campaigning again is a different holder). A
 *   deposed controller (lease expired, key re-created by another broker) fails those
 *   compares and writes nothing, however late it wakes up.
 * - **Losing the key:** when the image shows the key absent or with another createRevision
 *   at a revision at or after the epoch, the holder is deposed and stops acting
 *   (`isDeposedBy`); an image older than the epoch deposes nobody.
 */
import type { Compare, KeyValue, Txn, TxnResult } from '../metadata/metadata-store.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { decodeControllerRecord, encodeControllerRecord, type ControllerRecord } from './cluster-records.ts';

/** What a controller holds while it is one. */
export interface ControllerSession {
  readonly epoch: number;
  readonly record: ControllerRecord;
  /** The exact bytes of the controller key's value (the fence compares them). */
  readonly value: Uint8Array;
}

export function campaignTxn(keys: ClusterKeys, record: ControllerRecord, leaseId: string): Txn {
  return {
    compare: [{ key: keys.controller, target: 'createRevision', op: 'equal', value: 0 }],
    success: [{ type: 'put', key: keys.controller, value: encodeControllerRecord(record), lease: leaseId }],
    failure: [{ type: 'get', key: keys.controller }],
  };
}

/** The outcome of a campaign txn: our session, or the current holder (null if it vanished meanwhile). */
export function campaignOutcome(record: ControllerRecord, result: TxnResult): { won: ControllerSession } | { lost: ControllerRecord | null; epoch: number } {
  if (result.succeeded) return { won: { epoch: result.revision, record, value: encodeControllerRecord(record) } };
  const got = result.results[0];
  const kv = got && got.type === 'get' ? got.kvs[0] : undefined;
  return kv ? { lost: decodeControllerRecord(kv.value), epoch: kv.createRevision } : { lost: null, epoch: 0 };
}

/** The compares that make a txn land only while `session` still holds the controller key. */
export function fenceCompares(keys: ClusterKeys, session: ControllerSession): Compare[] {
  return [
    { key: keys.controller, target: 'createRevision', op: 'equal', value: session.epoch },
    { key: keys.controller, target: 'value', op: 'equal', value: session.value },
  ];
}

/**
 * Whether the store, seen at `imageRevision` with controller key `kv` (null = absent), no
 * longer has `session` as controller. An image older than the session's epoch predates the
 * campaign that won it and says nothing: the key it shows (absent, or a former holder's)
 * was replaced by ours since. (Judging by it deposed a controller that won while its
 * watch lagged behind, leaving the key held by a broker that did not act as controller —
 * for as long as its lease lived: the cluster had no controller.)
 */
export function isDeposedBy(session: ControllerSession, kv: KeyValue | null, imageRevision: number): boolean {
  if (imageRevision < session.epoch) return false;
  if (kv) return kv.createRevision !== session.epoch;
  return true;
}
