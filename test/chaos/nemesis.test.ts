// The nemesis (nemesis.ts) on a fake cluster: every injected fault is healed (also when the
// run is aborted mid-fault), the schedule is bounded by time and faultsMax, the same seed
// picks the same victims, and each fault's start and end land in the history file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runNemesis } from './nemesis.ts';
import { SCENARIOS, scenarioNamed, type BrokerName, type FaultTarget, type Scenario } from './scenarios.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function historyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-nemesis-'));
  dirs.push(dir);
  return join(dir, 'nemesis.jsonl');
}

/** A cluster that records calls; partition p is led by broker b((p % 3) + 1). */
function fakeTarget(): FaultTarget & { calls: string[] } {
  const calls: string[] = [];
  const op = (name: string) => async (...args: unknown[]) => void calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(',')})`);
  return {
    calls,
    brokers: ['b1', 'b2', 'b3'],
    etcdMembers: ['e1', 'e2', 'e3'],
    topic: 't',
    partitions: 6,
    sessionTimeoutMs: 1,
    leaderOf: async (p) => `b${(p % 3) + 1}` as BrokerName,
    controller: async () => 'b2',
    etcdLeader: async () => 'e3',
    kill: op('kill'),
    start: op('start'),
    restart: op('restart'),
    pause: op('pause'),
    resume: op('resume'),
    isolate: op('isolate'),
    partition: op('partition'),
    cutFromEtcd: op('cutFromEtcd'),
    heal: op('heal'),
    killEtcd: op('killEtcd'),
    startEtcd: op('startEtcd'),
    killAll: op('killAll'),
    startAll: op('startAll'),
  };
}

const quick = (s: Scenario, faultsMax = 3): Scenario => ({ ...s, faultMs: () => 5, healMs: 5, faultsMax });

describe('runNemesis', () => {
  it('heals every fault it injects, records start and end, and stops at faultsMax', async () => {
    const t = fakeTarget();
    const path = historyFile();
    const events = await runNemesis({ scenario: quick(scenarioNamed('leader-hard-bounce')), target: t, seed: 7, durationMs: 60_000, historyPath: path });
    expect(events.map((e) => e.phase)).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
    const kills = t.calls.filter((c) => c.startsWith('kill('));
    const starts = t.calls.filter((c) => c.startsWith('start('));
    expect(kills.length).toBe(3);
    expect(starts).toEqual(kills.map((k) => k.replace('kill', 'start')));
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { f: string; phase: string; fault: string });
    expect(lines.map((l) => [l.f, l.phase, l.fault])).toEqual(events.map((e) => ['nemesis', e.phase, e.fault]));
  });

  it('the same seed picks the same victims; another seed (almost surely) others', async () => {
    const victims = async (seed: number): Promise<string[]> => {
      const t = fakeTarget();
      await runNemesis({ scenario: quick(scenarioNamed('broker-cut-from-etcd'), 8), target: t, seed, durationMs: 60_000, historyPath: historyFile() });
      return t.calls.filter((c) => c.startsWith('cutFromEtcd'));
    };
    expect(await victims(42)).toEqual(await victims(42));
    const runs = await Promise.all([1, 2, 3].map(victims));
    expect(new Set(runs.map((r) => r.join())).size).toBeGreaterThan(1);
  });

  it('heals the fault in progress when aborted, and injects nothing after', async () => {
    const t = fakeTarget();
    const abort = new AbortController();
    const scenario: Scenario = { ...scenarioNamed('paused-leader'), faultMs: () => 60_000, healMs: 5 };
    const running = runNemesis({ scenario, target: t, seed: 1, durationMs: 600_000, historyPath: historyFile(), signal: abort.signal });
    for (let i = 0; i < 100 && !t.calls.some((c) => c.startsWith('pause')); i++) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    const events = await running;
    expect(events.map((e) => e.phase)).toEqual(['start', 'end']);
    expect(t.calls.filter((c) => c.startsWith('pause')).length).toBe(1);
    expect(t.calls.filter((c) => c.startsWith('resume')).length).toBe(1);
  });

  it('fits the schedule in the duration', async () => {
    const t = fakeTarget();
    const scenario: Scenario = { ...scenarioNamed('etcd-leader-kill'), faultMs: () => 40, healMs: 40 };
    const started = Date.now();
    const events = await runNemesis({ scenario, target: t, seed: 3, durationMs: 300, historyPath: historyFile() });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(events.length / 2).toBeGreaterThanOrEqual(1);
    expect(events.length / 2).toBeLessThanOrEqual(3);
  });

  it("dates a fault's start from when applying it began (a clean restart is over when inject returns)", async () => {
    const t = fakeTarget();
    const slow: FaultTarget = { ...t, restart: async (b) => { await new Promise((r) => setTimeout(r, 300)); await t.restart(b); } };
    const before = Date.now();
    const events = await runNemesis({ scenario: quick(scenarioNamed('leader-clean-bounce'), 1), target: slow, seed: 4, durationMs: 60_000, historyPath: historyFile() });
    expect(events[0]!.phase).toBe('start');
    expect(events[0]!.time - before).toBeLessThan(100);
    expect(events[1]!.time - events[0]!.time).toBeGreaterThanOrEqual(290);
  });

  it('every scenario injects something healable on the fake cluster', async () => {
    for (const s of SCENARIOS) {
      const t = fakeTarget();
      const events = await runNemesis({ scenario: quick(s, 1), target: t, seed: 5, durationMs: 60_000, historyPath: historyFile() });
      expect(events.map((e) => e.phase), s.name).toEqual(['start', 'end']);
      expect(t.calls.length, s.name).toBeGreaterThanOrEqual(1);
    }
  });
});
