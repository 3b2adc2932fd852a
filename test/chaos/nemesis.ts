/**
 * The nemesis: applies one scenario's fault again and again for a bounded time, from a
 * seed, and records each fault's start and end in the run's history (the `nemesis` lines
 * of the history format, test/chaos/README.md), so the checker can time recoveries.
 *
 * Schedule: while the time left fits one more fault and its heal, inject (the scenario
 * picks its victim with the seeded Random), keep the fault for `faultMs`, heal, let the
 * cluster run healed for `healMs`; at most `faultsMax` faults. The same seed and the same
 * cluster answers (who leads what) give the same schedule.
 *
 * Invariant: a fault that was injected is healed before `run` returns or throws, also when
 * the signal aborts mid-fault (the final read needs the whole cluster).
 */
import { appendFileSync } from 'node:fs';
import { createRandom } from '@samsa/bench';
import type { FaultTarget, Injected, Scenario } from './scenarios.ts';

export interface NemesisEvent {
  readonly fault: string;
  readonly phase: 'start' | 'end';
  readonly time: number;
  readonly detail: Record<string, unknown>;
}

export interface NemesisOptions {
  readonly scenario: Scenario;
  readonly target: FaultTarget;
  readonly seed: number;
  /** Total time the nemesis may take, faults and heals included. */
  readonly durationMs: number;
  /** The JSONL history file the nemesis lines are appended to. */
  readonly historyPath: string;
  readonly signal?: AbortSignal;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** Runs the schedule; resolves the events it recorded (each start has its end). */
export async function runNemesis(o: NemesisOptions): Promise<NemesisEvent[]> {
  const random = createRandom(o.seed);
  const events: NemesisEvent[] = [];
  const started = Date.now();
  const record = (fault: string, phase: 'start' | 'end', detail: Record<string, unknown>, time = Date.now()): void => {
    const event = { fault, phase, time, detail };
    events.push(event);
    appendFileSync(o.historyPath, `${JSON.stringify({ type: 'info', f: 'nemesis', process: 'nemesis', time: event.time, fault, phase, detail })}\n`);
    o.log?.(`nemesis ${phase} ${fault} ${JSON.stringify(detail)}`);
  };
  const faultsMax = o.scenario.faultsMax ?? Number.MAX_SAFE_INTEGER;
  for (let n = 0; n < faultsMax && !o.signal?.aborted; n++) {
    const faultMs = o.scenario.faultMs(o.target);
    if (Date.now() - started + faultMs + o.scenario.healMs > o.durationMs) break;
    let injected: Injected;
    // A fault starts when the nemesis begins applying it (a clean restart is over by the
    // time inject returns), so recovery times include the applying.
    const injectedAt = Date.now();
    try {
      injected = await o.scenario.inject(o.target, random);
    } catch (error) {
      // The fault could not be applied (e.g. the victim is already down): heal everything, go on.
      o.log?.(`nemesis: injecting ${o.scenario.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      await o.target.heal();
      await sleep(o.scenario.healMs, o.signal);
      continue;
    }
    record(injected.fault, 'start', injected.detail, injectedAt);
    try {
      await sleep(faultMs, o.signal);
    } finally {
      await injected.heal();
      record(injected.fault, 'end', injected.detail);
    }
    await sleep(o.scenario.healMs, o.signal);
  }
  return events;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
