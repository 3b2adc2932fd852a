/**
 * The named fault scenarios of the chaos suite (issue 15): the ducktape replication matrix
 * and Jepsen's nemeses, each one fault kind applied again and again for the scenario's
 * duration, with the cluster healed between faults.
 *
 * A scenario is data plus one `inject` function: it picks its victim from what the cluster
 * says now (the leader of a random partition, the controller, the etcd leader …) with the
 * run's seeded Random, applies the fault, and returns how to undo it. The nemesis
 * (nemesis.ts) owns the timing: fault for `faultMs`, heal, wait `healMs`, repeat.
 *
 * Invariant: `inject` never leaves the cluster without a way back — every fault it applies
 * is undone by the `heal` it returns, and the nemesis always calls it (also when the run is
 * cut short), so the final read runs on a whole cluster.
 */
import type { Random } from '@samsa/bench';

/** Node names as the harness knows them: brokers b1..b3, etcd members e1..e3. */
export type BrokerName = `b${number}`;
export type EtcdName = `e${number}`;
export type NodeName = BrokerName | EtcdName;

/** What a scenario may do to the cluster (implemented by the chaos cluster harness). */
export interface FaultTarget {
  readonly brokers: readonly BrokerName[];
  readonly etcdMembers: readonly EtcdName[];
  readonly topic: string;
  readonly partitions: number;
  /** The session timeout the brokers run with (a paused leader sleeps longer than it). */
  readonly sessionTimeoutMs: number;
  leaderOf(partition: number): Promise<BrokerName | null>;
  controller(): Promise<BrokerName | null>;
  etcdLeader(): Promise<EtcdName | null>;
  kill(broker: BrokerName): Promise<void>;
  start(broker: BrokerName): Promise<void>;
  restart(broker: BrokerName): Promise<void>;
  pause(broker: BrokerName): Promise<void>;
  resume(broker: BrokerName): Promise<void>;
  isolate(node: NodeName): Promise<void>;
  partition(a: readonly NodeName[], b: readonly NodeName[]): Promise<void>;
  cutFromEtcd(broker: BrokerName): Promise<void>;
  heal(): Promise<void>;
  killEtcd(member: EtcdName): Promise<void>;
  startEtcd(member: EtcdName): Promise<void>;
  killAll(): Promise<void>;
  startAll(): Promise<void>;
}

/** One applied fault: what it was (for the history) and how to undo it. */
export interface Injected {
  readonly fault: string;
  readonly detail: Record<string, unknown>;
  heal(): Promise<void>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Broker runtimes, node ids 1..3 in order. */
  readonly runtimes: readonly ('node' | 'deno')[];
  /** Broker config overrides for this scenario (on top of the suite's). */
  readonly overrides?: readonly string[];
  /** How long a fault lasts before it is healed (the paused leader: longer than the session). */
  readonly faultMs: (t: FaultTarget) => number;
  /** How long the healed cluster runs before the next fault. */
  readonly healMs: number;
  /** At most this many faults (the ×5 of a hard bounce); unbounded: as many as fit. */
  readonly faultsMax?: number;
  inject(t: FaultTarget, random: Random): Promise<Injected>;
}

const NODE3 = ['node', 'node', 'node'] as const;

function pick<T>(random: Random, values: readonly T[]): T {
  if (values.length === 0) throw new Error('nothing to pick from');
  return values[random.int(0, values.length)]!;
}

/** The leader of a random partition; any broker if no partition has one right now. */
async function someLeader(t: FaultTarget, random: Random): Promise<BrokerName> {
  const partition = random.int(0, t.partitions);
  return (await t.leaderOf(partition)) ?? pick(random, t.brokers);
}

async function theController(t: FaultTarget, random: Random): Promise<BrokerName> {
  return (await t.controller()) ?? pick(random, t.brokers);
}

const hardBounce = async (t: FaultTarget, victim: BrokerName, fault: string): Promise<Injected> => {
  await t.kill(victim);
  return { fault, detail: { broker: victim }, heal: () => t.start(victim) };
};

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'leader-hard-bounce',
    description: 'SIGKILL the leader of a random partition, restart it after the fault; five times',
    runtimes: NODE3,
    faultMs: () => 5000,
    healMs: 5000,
    faultsMax: 5,
    inject: async (t, r) => hardBounce(t, await someLeader(t, r), 'kill-leader'),
  },
  {
    name: 'leader-clean-bounce',
    description: 'clean restart (SIGTERM, controlled shutdown) of the leader of a random partition',
    runtimes: NODE3,
    faultMs: () => 0,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = await someLeader(t, r);
      await t.restart(victim);
      return { fault: 'restart-leader', detail: { broker: victim }, heal: async () => undefined };
    },
  },
  {
    name: 'controller-bounce',
    description: 'SIGKILL the controller, restart it after the fault',
    runtimes: NODE3,
    faultMs: () => 5000,
    healMs: 5000,
    inject: async (t, r) => hardBounce(t, await theController(t, r), 'kill-controller'),
  },
  {
    name: 'paused-leader',
    description: 'SIGSTOP the leader of a random partition for longer than its session, then SIGCONT: a zombie leader that wakes after its lease expired',
    runtimes: NODE3,
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = await someLeader(t, r);
      await t.pause(victim);
      return { fault: 'pause-leader', detail: { broker: victim }, heal: () => t.resume(victim) };
    },
  },
  {
    name: 'partitioned-leader',
    description: 'cut the leader of a random partition from every other broker and every etcd member',
    runtimes: NODE3,
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = await someLeader(t, r);
      await t.isolate(victim);
      return { fault: 'isolate-leader', detail: { broker: victim }, heal: () => t.heal() };
    },
  },
  {
    name: 'partitioned-controller',
    description: 'cut the controller from every other broker and every etcd member',
    runtimes: NODE3,
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = await theController(t, r);
      await t.isolate(victim);
      return { fault: 'isolate-controller', detail: { broker: victim }, heal: () => t.heal() };
    },
  },
  {
    name: 'broker-cut-from-etcd',
    description: 'cut a random broker from every etcd member only (it still reaches the other brokers)',
    runtimes: NODE3,
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = pick(r, t.brokers);
      await t.cutFromEtcd(victim);
      return { fault: 'cut-from-etcd', detail: { broker: victim }, heal: () => t.heal() };
    },
  },
  {
    name: 'etcd-leader-kill',
    description: "SIGKILL etcd's leader member, restart it (data kept) after the fault",
    runtimes: NODE3,
    faultMs: () => 5000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = (await t.etcdLeader()) ?? pick(r, t.etcdMembers);
      await t.killEtcd(victim);
      return { fault: 'kill-etcd-leader', detail: { member: victim }, heal: () => t.startEtcd(victim) };
    },
  },
  {
    name: 'majority-minority',
    description: 'split the cluster into a majority and a minority: one broker and one etcd member against the rest (the etcd quorum splits too; the lone broker loses its session)',
    runtimes: NODE3,
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const lone = pick(r, t.brokers);
      const loneEtcd = pick(r, t.etcdMembers);
      const minority: NodeName[] = [lone, loneEtcd];
      const majority: NodeName[] = [...t.brokers.filter((b) => b !== lone), ...t.etcdMembers.filter((e) => e !== loneEtcd)];
      await t.partition(minority, majority);
      return { fault: 'majority-minority', detail: { minority, majority }, heal: () => t.heal() };
    },
  },
  {
    name: 'power-off-flush-each',
    description: 'SIGKILL every broker and etcd member at once, start them all again; log.flush.interval.messages=1: every acknowledged record was fsynced by its replicas',
    runtimes: NODE3,
    overrides: ['log.flush.interval.messages=1'],
    faultMs: () => 1000,
    // Long enough for the consumer groups to re-form (coordinator load, initial rebalance
    // delay) before the next power-off, so polls and commits are tested across restarts.
    healMs: 15_000,
    inject: async (t) => {
      await t.killAll();
      return { fault: 'power-off', detail: { flush: 'each message' }, heal: () => t.startAll() };
    },
  },
  {
    name: 'power-off-default-flush',
    description: 'the same whole-cluster SIGKILL with the default flush policy: the OS page cache survives a process kill, so nothing acknowledged may be lost (a machine power loss is not modelled)',
    runtimes: NODE3,
    faultMs: () => 1000,
    // Long enough for the consumer groups to re-form (coordinator load, initial rebalance
    // delay) before the next power-off, so polls and commits are tested across restarts.
    healMs: 15_000,
    inject: async (t) => {
      await t.killAll();
      return { fault: 'power-off', detail: { flush: 'default' }, heal: () => t.startAll() };
    },
  },
  {
    name: 'mixed-runtimes',
    description: 'brokers on Node, Deno and Node; SIGKILL the leader of a random partition or pause it past its session, alternately',
    runtimes: ['node', 'deno', 'node'],
    faultMs: (t) => t.sessionTimeoutMs * 2 + 1000,
    healMs: 5000,
    inject: async (t, r) => {
      const victim = await someLeader(t, r);
      if (r.next() < 0.5) return hardBounce(t, victim, 'kill-leader');
      await t.pause(victim);
      return { fault: 'pause-leader', detail: { broker: victim }, heal: () => t.resume(victim) };
    },
  },
];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
