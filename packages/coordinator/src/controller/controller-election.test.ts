// The controller fence's deposition rule (isDeposedBy): a controller is deposed by an image
// at or after its epoch that shows the controller key absent or re-created by another
// campaign — and never by an image older than its epoch, which predates its own campaign
// (a controller that won while its watch lagged behind saw the former holder's key in such
// an image and resigned, leaving its key in etcd with nobody acting as controller; found by
// the whole-cluster simulator, seed 40976).
import { describe, expect, it } from 'vitest';
import { encodeControllerRecord } from './cluster-records.ts';
import { isDeposedBy, type ControllerSession } from './controller-election.ts';
import type { KeyValue } from '../metadata/metadata-store.ts';

const record = { brokerId: 3, incarnation: 'b3' };
const session: ControllerSession = { epoch: 20, record, value: encodeControllerRecord(record) };
const key = (createRevision: number, brokerId: number): KeyValue => ({
  key: '/samsa/x/controller',
  value: encodeControllerRecord({ brokerId, incarnation: `b${brokerId}` }),
  createRevision,
  modRevision: createRevision,
  version: 1,
  lease: 'l',
});

describe('isDeposedBy', () => {
  it('an image older than the epoch deposes nobody: it predates the winning campaign', () => {
    expect(isDeposedBy(session, key(17, 2), 17)).toBe(false); // the former holder's key
    expect(isDeposedBy(session, key(17, 2), 19)).toBe(false);
    expect(isDeposedBy(session, null, 18)).toBe(false); // before the campaign, no key
  });

  it('an image at or after the epoch: deposed unless the key is still ours', () => {
    expect(isDeposedBy(session, key(20, 3), 20)).toBe(false);
    expect(isDeposedBy(session, key(20, 3), 35)).toBe(false);
    expect(isDeposedBy(session, null, 20)).toBe(true);
    expect(isDeposedBy(session, key(31, 2), 31)).toBe(true);
  });
});
