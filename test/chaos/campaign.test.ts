// The whole chaos pipeline end to end, short: a fault-injectable cluster (3 etcd members,
// 3 Node brokers, a proxy on every broker→etcd and follower→leader link), librdkafka and
// KafkaJS workloads recording histories, the nemesis SIGKILLing the leader of a random
// partition (leader-hard-bounce), a final read, and the independent checker. Longer and
// other scenarios run with `npm run chaos` (test/chaos/README.md).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.ts';
import { scenarioNamed } from './scenarios.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('chaos campaign (short)', () => {
  it('leader-hard-bounce: every acknowledged write is read back once, in order, and the checker finds nothing', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'samsa-chaos-test-'));
    dirs.push(outDir);
    const r = await runCampaign({ scenario: { ...scenarioNamed('leader-hard-bounce'), faultsMax: 3 }, seed: 11, durationMs: 35_000, outDir, rate: 100 });
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as typeof r.report;
    expect(r.faults).toBeGreaterThanOrEqual(2);
    expect(report.counts.sends.ok).toBeGreaterThan(500);
    expect(report.counts.finalRead.records).toBeGreaterThanOrEqual(report.counts.sends.ok);
    expect(report.counts.nemesisEvents).toBe(2 * r.faults);
    expect(r.safe, r.summary).toBe(true);
  }, 400_000);
});
