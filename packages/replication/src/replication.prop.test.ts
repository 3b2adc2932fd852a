/**
 * Property test of the replica state machines against a model (testing/partition-model.ts):
 * one partition on three brokers (min.insync.replicas = 2), random steps — acks=all
 * produces to whichever broker believes it leads, follower fetches, delivery of any message
 * in any order, lost messages (fetch failures, AlterPartition outcomes unknown), late
 * partition states, clock advances, follower crashes that cut the log at a random point
 * (the controller takes the crashed broker out of the ISR and refuses its old
 * incarnation), clean leader elections from the ISR (the old leader becomes a follower and
 * must truncate what it wrote alone), AlterPartition proposals applied, refused, or
 * applied with the answer lost.
 *
 * Invariants, after every step:
 *  1. the high watermark of a leader never decreases within its epoch;
 *  2. the current leader's HW ≤ the LEO of every member of the controller's ISR, and every
 *     ISR member's log equals the leader's below the HW; a replica whose fetch the leader
 *     accepted in this epoch (its truncation is done) holds a prefix of the leader's log;
 *  3. an acks=all produce is answered without error only when every member of the
 *     controller's ISR holds its record at its offset;
 *  4. a record acked with acks=all (min ISR satisfied) is never lost: the controller's
 *     leader holds it, across any number of elections;
 *  5. an ISR member is proposed out only after replica.lag.time.max.ms without having had
 *     every record of the leader;
 *  6. every waiter is answered once; no log's HW passes its LEO;
 * and at the end, after healing the network: the replicas converge (every log equals the
 * leader's, the ISR is whole again, HW = LEO).
 *
 * The same property with a planted bug (the state machines' test-only `plantedBug`) must
 * fail: HW = leader LEO; ISR shrink without waiting for the lag time; no truncation on a
 * diverging epoch.
 *
 * Reproduce a failure: FC_SEED=<seed printed by fast-check> npx vitest run <this file>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BROKERS, LAG_TIME_MAX_MS, ModelViolation, PartitionModel, type PlantedBugs } from './testing/partition-model.ts';

type StepKind = 'produce' | 'fetch' | 'deliver' | 'state' | 'tick' | 'drop' | 'crash' | 'elect';
interface Step {
  readonly t: StepKind;
  readonly a: number;
  readonly b: number;
}

const kind = (t: StepKind, weight: number) => ({ weight, arbitrary: fc.constant(t) });
const step: fc.Arbitrary<Step> = fc.record({
  t: fc.oneof(kind('produce', 8), kind('fetch', 12), kind('deliver', 20), kind('state', 8), kind('tick', 4), kind('drop', 1), kind('crash', 1), kind('elect', 1)),
  a: fc.nat(10_000),
  b: fc.nat(10_000),
});

function run(steps: readonly Step[], bugs: PlantedBugs): PartitionModel {
  const m = new PartitionModel(bugs);
  for (const s of steps) {
    const broker = BROKERS[s.a % BROKERS.length]!;
    switch (s.t) {
      case 'produce': m.produce(broker); break;
      case 'fetch': m.fetch(broker); break;
      case 'deliver': m.deliver(s.a, s.b); break;
      case 'state': m.deliverState(broker); break;
      case 'tick': m.tick(s.b % Math.floor(LAG_TIME_MAX_MS * 1.5)); break;
      case 'drop': m.drop(s.a); break;
      case 'crash': m.crash(broker, s.b); break;
      case 'elect': m.elect(s.b); break;
    }
    m.check();
  }
  m.converge();
  return m;
}

const steps = fc.array(step, { minLength: 30, maxLength: 200, size: 'max' });

/** True when some run of the property with `bugs` ends in a ModelViolation (any other error fails the test). */
function catches(bugs: PlantedBugs, numRuns: number): boolean {
  let unexpected: unknown = null;
  const result = fc.check(
    fc.property(steps, (s) => {
      try {
        run(s, bugs);
        return true;
      } catch (e) {
        if (!(e instanceof ModelViolation)) unexpected ??= e;
        return false;
      }
    }),
    { numRuns },
  );
  if (unexpected !== null) throw unexpected;
  return result.failed;
}

describe('replication model', () => {
  it('keeps every invariant and converges', () => {
    let acked = 0;
    let truncations = 0;
    let elections = 0;
    fc.assert(
      fc.property(steps, (s) => {
        const m = run(s, {});
        acked += m.stats.acked;
        truncations += m.stats.truncations;
        elections += m.stats.elections;
      }),
      { numRuns: 300 },
    );
    // The runs exercised what the invariants are about.
    expect(acked).toBeGreaterThan(100);
    expect(truncations).toBeGreaterThan(10);
    expect(elections).toBeGreaterThan(50);
  });

  it('catches a planted bug: HW = leader LEO', () => {
    expect(catches({ leader: 'hw-is-leader-leo' }, 300)).toBe(true);
  });

  it('catches a planted bug: ISR shrink without waiting for the lag time', () => {
    expect(catches({ leader: 'shrink-without-lag' }, 300)).toBe(true);
  });

  it('catches a planted bug: no truncation on a diverging epoch', () => {
    expect(catches({ follower: 'skip-truncation' }, 300)).toBe(true);
  });
});
