/**
 * @platformatic/kafka 1.35 on Node 22 (both fetched from npm by the suite, see
 * platformatic-client.ts) against the broker on Node and on Deno (issue 16): admin create
 * and metadata, a producer, a group consumer with autocommit, ListOffsets and the group's
 * committed offsets — with the classic group protocol and with KIP-848's
 * (`groupProtocol: 'consumer'`).
 *
 * The client negotiates the newest versions the broker advertises. Its Fetch v12 encoder
 * writes the topic id where v12 has the topic name (v12 names topics; ids start at v13), so
 * against a broker that stops at v12 its consumer reads nothing. Samsa serves v13+, where
 * the id belongs, so the client never sends v12; the broker does not special-case it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, run, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';
import { ensurePlatformatic } from './platformatic-client.ts';
import type { PlatformaticClient } from './platformatic-client.ts';

interface Report {
  readonly topics: string[];
  /** The group as ListGroups v5 lists it while the consumer is a member. */
  readonly group: { type: string; state: string } | null;
  readonly sent: number;
  /** [partition, base offset] per partition of each produced batch. */
  readonly produced: [number, number][];
  readonly records: [number, number, string, string][];
  readonly latest: Record<string, number>;
  readonly committed: Record<string, number>;
  readonly errors: string[];
}

const COUNT = 30;

for (const runtime of RUNTIMES) {
  describe(`@platformatic/kafka on Node 22 against the ${runtime} broker`, () => {
    const dir = tempDir(`platformatic-${runtime}`);
    let broker: BrokerProcess;
    let client: PlatformaticClient;

    beforeAll(async () => {
      client = await ensurePlatformatic();
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    }, 360_000);

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    for (const groupProtocol of ['classic', 'consumer'] as const) {
      it(`admin, producer, and a ${groupProtocol}-protocol group consumer with autocommit`, async () => {
        const topic = `plat-${groupProtocol}`;
        const out = await run(client.node, [client.script, broker.bootstrap, topic, `plat-group-${groupProtocol}`, String(COUNT), groupProtocol], { timeoutMs: 90_000 });
        const text = expectOk(out, `platformatic ${groupProtocol}`).stdout.toString().trim().split('\n');
        const report = JSON.parse(text[text.length - 1]!) as Report;
        expect(report.errors).toEqual([]);
        expect(report.topics).toEqual([topic]);
        // The broker ran the group with the protocol the client asked for.
        expect(report.group).toEqual({ type: groupProtocol, state: 'STABLE' });
        expect(report.sent).toBe(COUNT);
        expect(report.records).toHaveLength(COUNT);
        // Every value read once; per partition the offsets run 0..n-1 and the producer's base offsets are among them.
        expect(new Set(report.records.map(([, , , v]) => v))).toEqual(new Set(Array.from({ length: COUNT }, (_, i) => `pv-${i}`)));
        for (const p of [0, 1, 2]) {
          const offsets = report.records.filter(([pp]) => pp === p).map(([, o]) => o).sort((a, b) => a - b);
          expect(offsets).toEqual(offsets.map((_, i) => i));
          for (const [pp, base] of report.produced) if (pp === p) expect(offsets).toContain(base);
          // The group committed the end of the partition, which is ListOffsets' latest.
          expect(report.latest[String(p)], `latest of ${p}`).toBe(offsets.length);
          if (offsets.length > 0) expect(report.committed[String(p)], `committed of ${p}`).toBe(offsets.length);
        }
      }, 120_000);
    }
  });
}
