/**
 * python3-kafka (kafka-python 2.0.2, Debian) pinned in turn to api_version 0.10.0, 0.10.1,
 * 0.11.0, 1.0.0, 2.0.0 and the newest it probes, on Node and on Deno (issue 16). Each pin
 * makes the client speak that Kafka's versions: 0.10.x produces message format v1 with
 * Produce v2 and fetches with Fetch v2/v3 (the broker up-converts and down-converts),
 * 0.11+ uses record batches v2. Per pin: produce, consume in a group, commit, list offsets
 * by time and describe configs, each checked against what was produced. Before this issue
 * 0.10.x produce failed and consume returned nothing, and 0.10.0 hung.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectOk, python, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';
import { PY_KAFKA_PYTHON_SCENARIO } from './kafka-python-scripts.ts';
import type { KafkaPythonReport } from './kafka-python-scripts.ts';
import { lastJson } from './python-scripts.ts';

const PINS = ['0.10.0', '0.10.1', '0.11.0', '1.0.0', '2.0.0', 'newest'] as const;
const COUNT = 20;
const BASE_TS = 1_700_000_000_000;

/** Did this pin's client use message format v0/v1 (no headers, v1 keeps timestamps)? Every pin here is ≥ 0.10, so timestamps survive. */
const keepsTimestamps = (_pin: string): boolean => true;
/** Pins whose client has ListOffsets v1 (offsets_for_times; kafka-python refuses it at 0.10.0). */
const hasTimes = (pin: string): boolean => pin !== '0.10.0';

for (const runtime of RUNTIMES) {
  describe(`kafka-python 2.0.2 at every pinned api_version on ${runtime}`, () => {
    const dir = tempDir(`kafka-python-${runtime}`);
    let broker: BrokerProcess;

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    });

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    for (const pin of PINS) {
      it(`api_version ${pin}: produce, group consume, commit, offsets by time, describe configs`, async () => {
        const topic = `kp-${pin.replace(/\./g, '-')}`;
        await createTopic(broker.bootstrap, topic, 2);
        const out = await python(PY_KAFKA_PYTHON_SCENARIO, [broker.bootstrap, topic, pin, `kp-group-${pin}`, String(COUNT)], { timeoutMs: 120_000 });
        const report = lastJson<KafkaPythonReport>(expectOk(out, `kafka-python ${pin}`).stdout);
        expect(report.errors).toEqual([]);

        // Produce: every record acknowledged, offsets 0..n-1 per partition.
        expect(report.produced).toHaveLength(COUNT);
        const perPartition = new Map<number, number[]>();
        for (const [p, o] of report.produced) perPartition.set(p, [...(perPartition.get(p) ?? []), o]);
        for (const offsets of perPartition.values()) expect([...offsets].sort((a, b) => a - b)).toEqual(offsets.map((_, i) => i));

        // Consume: exactly what was produced, at the offsets the producer was told.
        expect(report.records).toHaveLength(COUNT);
        const byValue = new Map(report.records.map(([p, o, k, v, ts]) => [v, { p, o, k, ts }]));
        report.produced.forEach(([p, o], i) => {
          const got = byValue.get(`v-${i}`);
          expect(got, `record v-${i}`).toMatchObject({ p, o, k: `k${i % 5}` });
          if (keepsTimestamps(pin)) expect(got!.ts).toBe(BASE_TS + i * 1000);
        });

        // Commit: the group's committed position is the end of what it read.
        for (const [p, offsets] of perPartition) expect(report.committed[String(p)]).toBe(Math.max(...offsets) + 1);

        // Offsets by time: the first record at or after record 5's timestamp, per partition.
        if (hasTimes(pin)) {
          expect(typeof report.times).toBe('object');
          const times = report.times as Record<string, [number, number] | null>;
          for (const [p, offsets] of perPartition) {
            const want = report.produced.map(([pp, o], i) => ({ pp, o, ts: BASE_TS + i * 1000 })).filter((r) => r.pp === p && r.ts >= BASE_TS + 5000);
            expect(times[String(p)], `partition ${p}`).toEqual(want.length === 0 ? null : [want[0]!.o, want[0]!.ts]);
            expect(offsets.length).toBeGreaterThan(0);
          }
        } else {
          expect(String(report.times)).toMatch(/^unsupported/);
        }

        // kafka-python's admin client asks DescribeConfigs v0 at every pin (it checks the broker's ranges, not the pin).
        expect(report.configs).toEqual({ 'retention.ms': '604800000' });
      }, 180_000);
    }
  });
}
