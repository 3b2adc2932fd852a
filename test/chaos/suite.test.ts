// The short chaos suite (issue 15): every scenario of scenarios.ts end to end on its own
// fresh fault-injectable cluster (3 etcd members, 3 brokers, a proxy on every faultable
// link), with the librdkafka and KafkaJS workloads recording histories, the nemesis applying
// the scenario's fault for SAMSA_CHAOS_SECONDS (default 20: every scenario's fault and heal fit
// once) seconds, a final read, and the
// independent checker. About 35 s per scenario; long campaigns: `npm run chaos`.
//
// The seed (SAMSA_CHAOS_SEED, default 15) picks the victims; each failure message carries
// the checker's summary, the run's output dir (kept on failure) and the replay command.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.ts';
import { SCENARIOS } from './scenarios.ts';

const SECONDS = Number(process.env['SAMSA_CHAOS_SECONDS'] ?? 20);
const SEED = Number(process.env['SAMSA_CHAOS_SEED'] ?? 15);

describe('chaos suite (short): every scenario, acks=all, RF 3, min.insync.replicas=2, unclean election off', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every acknowledged write is read back once, in order; polls never go backwards`, async () => {
      const outDir = mkdtempSync(join(tmpdir(), `samsa-chaos-${scenario.name}-`));
      const r = await runCampaign({ scenario, seed: SEED, durationMs: SECONDS * 1000, outDir, rate: 100 });
      const context = `${r.summary}\noutput: ${outDir}\nreplay: npm run chaos -- --scenario ${scenario.name} --seed ${SEED} --minutes ${(SECONDS / 60).toFixed(2)}`;
      // The nemesis ran (each fault has its start and end in the history) ...
      expect(r.faults, context).toBeGreaterThanOrEqual(1);
      expect(r.report.counts.nemesisEvents, context).toBe(2 * r.faults);
      // ... under load, and the final read holds at least every acknowledged record ...
      expect(r.report.counts.sends.ok, context).toBeGreaterThan(300);
      expect(r.report.counts.finalRead.records, context).toBeGreaterThanOrEqual(r.report.counts.sends.ok);
      // ... and the checker found no safety anomaly.
      expect(r.report.unsafeClasses, context).toEqual([]);
      expect(r.safe, context).toBe(true);
      rmSync(outDir, { recursive: true, force: true });
    }, 420_000);
  }
});
