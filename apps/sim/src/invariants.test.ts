// The replication rules of the Invariants on their own (the campaign shows they hold on the
// real cluster; these show each one fires on the observations it exists for):
// - `no-acked-loss` at a read: an acks=all record on a replicated partition read back as
//   another record fails at once, whichever of the read and the ack came first; an acks=1
//   record on a replicated partition may be replaced (only its leader had it);
// - `hw-monotonic`: a HW going down within one leader epoch fails; a new epoch may start
//   lower; another reader is tracked apart;
// - `one-leader-per-epoch`: a second process leading an epoch fails (another broker, or a
//   restarted incarnation of the same one);
// - `replica-agreement`: a record read earlier that the final read misses fails; replica
//   logs that differ below the HW fail, equal ones pass;
// - crashes forget nothing on a replicated (fsync-every-message) partition.
import { SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { describe, expect, it } from 'vitest';
import { Invariants } from './invariants.ts';
import { SimClock } from './sim-clock.ts';

const TP = 'replicated-0';

function setup(): Invariants {
  const clock = new SimClock();
  const store = new SimulatedMetadataStore({ clock, random: createRandom(1) });
  const invariants = new Invariants(store, () => clock.monotonicMs(), { replication: true });
  invariants.setFacts(TP, { replicationFactor: 3, fsyncsEachMessage: true, replicas: [1, 2, 3] });
  return invariants;
}

describe('Invariants: replication rules', () => {
  it('fails no-acked-loss when a read finds another record at an acks=all offset (read after the ack)', () => {
    const inv = setup();
    inv.onAck(TP, 5, 'a', -1);
    inv.onRead(TP, 5, 'a');
    expect(inv.violation).toBeNull();
    const other = setup();
    other.onAck(TP, 5, 'a', -1);
    other.onRead(TP, 5, 'b');
    expect(other.violation?.rule).toBe('no-acked-loss');
  });

  it('fails no-acked-loss when an acks=all ack lands on an offset already read as another record', () => {
    const inv = setup();
    inv.onRead(TP, 7, 'x');
    inv.onAck(TP, 7, 'y', -1);
    expect(inv.violation?.rule).toBe('no-acked-loss');
  });

  it('lets an acks=1 record on a replicated partition go, and forgets nothing of it at a crash', () => {
    const inv = setup();
    inv.onAck(TP, 3, 'one', 1);
    inv.onCrash(1);
    inv.beginFinalRead();
    inv.checkNoAckedLoss();
    expect(inv.violation).toBeNull();
    // An acks=all record survives a crash of every replica.
    const all = setup();
    all.onAck(TP, 3, 'all', -1);
    for (const b of [1, 2, 3]) all.onCrash(b);
    all.beginFinalRead();
    all.checkNoAckedLoss();
    expect(all.violation?.rule).toBe('no-acked-loss');
  });

  it('fails hw-monotonic when a HW goes down within a leader epoch, not across epochs or readers', () => {
    const inv = setup();
    inv.onHighWatermark('consumer', TP, 4, 'broker-1#1', 10);
    inv.onHighWatermark('consumer', TP, 4, 'broker-1#1', 12);
    inv.onHighWatermark('consumer', TP, 5, 'broker-2#1', 9); // a new leader may start lower
    inv.onHighWatermark('final-reader', TP, 4, 'broker-1#1', 8); // another reader: its own sequence
    expect(inv.violation).toBeNull();
    inv.onHighWatermark('consumer', TP, 4, 'broker-1#1', 11);
    expect(inv.violation?.rule).toBe('hw-monotonic');
  });

  it('fails one-leader-per-epoch when a second process leads an epoch, a restart of the same broker included', () => {
    const inv = setup();
    inv.onLeaderEpochSample('broker-1#1', TP, 0);
    inv.onLeaderEpochSample('broker-1#1', TP, 0);
    inv.onLeaderEpochSample('broker-2#1', TP, 1);
    expect(inv.violation).toBeNull();
    inv.onLeaderEpochSample('broker-1#2', TP, 0);
    expect(inv.violation?.rule).toBe('one-leader-per-epoch');
    const other = setup();
    other.onLeaderEpochSample('broker-1#1', TP, 3);
    other.onLeaderEpochSample('broker-2#1', TP, 3);
    expect(other.violation?.rule).toBe('one-leader-per-epoch');
  });


  it('fails replica-agreement when the final read misses a record read earlier', () => {
    const inv = setup();
    inv.onRead(TP, 0, 'r0');
    inv.onRead(TP, 1, 'r1');
    inv.beginFinalRead();
    inv.onRead(TP, 0, 'r0');
    inv.checkCommittedReads();
    expect(inv.violation?.rule).toBe('replica-agreement');
    expect(inv.violation?.message).toContain('offset 1');
  });

  it('compares replica logs byte for byte', () => {
    const inv = setup();
    inv.checkReplicaLogs(TP, 1, 2, new Map([[1, Uint8Array.of(1, 2, 3)], [2, Uint8Array.of(1, 2, 3)], [3, Uint8Array.of(1, 2, 3)]]));
    expect(inv.violation).toBeNull();
    inv.checkReplicaLogs(TP, 1, 2, new Map([[1, Uint8Array.of(1, 2, 3)], [2, Uint8Array.of(1, 2, 3)], [3, Uint8Array.of(1, 9, 3)]]));
    expect(inv.violation?.rule).toBe('replica-agreement');
    const shorter = setup();
    shorter.checkReplicaLogs(TP, 1, 2, new Map([[1, Uint8Array.of(1, 2, 3)], [2, Uint8Array.of(1, 2)]]));
    expect(shorter.violation?.rule).toBe('replica-agreement');
  });
});
