/**
 * `samsa groups` end to end against a real broker process: kcat produces, `kcat -G`
 * consumes and commits (librdkafka's group client), then `samsa groups list/describe`
 * show the group with lag 0; `reset-offsets --to-earliest` is a dry run (nothing
 * changes) until --execute, after which describe shows lag = record count; then
 * --to-offset, --shift-by (clamped), a single partition (topic:0), --all-topics
 * --to-current, --by-duration and --to-datetime, each checked through describe; bad flags
 * exit 2, an unknown group or partition exits 1; `delete` removes the group. `samsa consume --group`
 * reads everything once, commits, and a second run reads only the new records. The
 * admin port's /metrics shows the group's rebalances, commits and state.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectOk, freePort, kcat, parseConsumed, samsa, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const TOPIC = 'cli-groups';
const GROUP = 'cli-g';
const RECORDS = 30;

interface Row {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number;
  lag: number | null;
}

describe('samsa groups', () => {
  const dir = tempDir('cli-groups');
  let broker: BrokerProcess;
  let b: string[];
  let adminPort: number;

  beforeAll(async () => {
    adminPort = await freePort();
    broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=3'], extraArgs: ['--admin-port', String(adminPort)] });
    b = ['--bootstrap', broker.bootstrap];
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  const describeJson = async (): Promise<Row[]> => {
    const out = expectOk(await samsa(['groups', 'describe', GROUP, '--json', ...b]), 'groups describe --json');
    const parsed = JSON.parse(out.stdout.toString('utf8')) as Array<{ group: string; rows: Row[] }>;
    expect(parsed.map((g) => g.group)).toEqual([GROUP]);
    return parsed[0]!.rows;
  };
  const totalLag = (rows: Row[]) => rows.reduce((s, r) => s + (r.lag ?? 0), 0);

  it('list/describe after kcat -G; reset-offsets dry run then --execute; delete', async () => {
    await createTopic(broker.bootstrap, TOPIC, 2);
    const lines = Array.from({ length: RECORDS }, (_, i) => `k${i % 5}:v${i}`);
    expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-K', ':'], { input: lines.join('\n') + '\n' }), 'kcat -P');
    const consumed = expectOk(
      await kcat(['-b', broker.bootstrap, '-G', GROUP, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100', TOPIC], { timeoutMs: 30_000 }),
      'kcat -G',
    );
    expect(parseConsumed(consumed.stdout.toString('utf8'))).toHaveLength(RECORDS);

    const listed = expectOk(await samsa(['groups', 'list', ...b]), 'groups list').stdout.toString('utf8').split('\n');
    expect(listed).toContain(GROUP);

    // Group metrics on the admin port: kcat's group rebalanced at least once, committed, and is Empty after it left.
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    expect(value('samsa_group_rebalances_total')).toBeGreaterThanOrEqual(1);
    expect(value('samsa_group_offset_commits_total')).toBeGreaterThanOrEqual(2);
    expect(value('samsa_consumer_groups\\{state="Empty"\\}')).toBe(1);
    expect(value('samsa_consumer_groups\\{state="Stable"\\}')).toBe(0);

    const text = expectOk(await samsa(['groups', 'describe', GROUP, ...b]), 'groups describe').stdout.toString('utf8');
    expect(text).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/);
    const rows = await describeJson();
    expect(rows.map((r) => [r.topic, r.partition])).toEqual([[TOPIC, 0], [TOPIC, 1]]);
    expect(rows.reduce((s, r) => s + r.logEndOffset, 0)).toBe(RECORDS);
    expect(rows.every((r) => r.currentOffset === r.logEndOffset && r.lag === 0)).toBe(true);

    const dry = expectOk(await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', ...b]), 'reset-offsets dry run').stdout.toString('utf8');
    expect(dry).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET/);
    expect(dry).toContain('dry run');
    expect(totalLag(await describeJson())).toBe(0);

    const executed = expectOk(await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute', '--json', ...b]), 'reset-offsets --execute');
    const plan = JSON.parse(executed.stdout.toString('utf8')) as { executed: boolean; partitions: Array<{ partition: number; offset: number }> };
    expect(plan.executed).toBe(true);
    expect(plan.partitions).toEqual([{ topic: TOPIC, partition: 0, offset: 0 }, { topic: TOPIC, partition: 1, offset: 0 }]);
    const after = await describeJson();
    expect(after.every((r) => r.currentOffset === 0)).toBe(true);
    expect(totalLag(after)).toBe(RECORDS);

    const toOffset = expectOk(await samsa(['groups', 'reset-offsets', '-g', GROUP, '-t', TOPIC, '--to-offset', '2', '--execute', ...b]), 'reset-offsets --to-offset');
    expect(toOffset.code).toBe(0);
    expect(totalLag(await describeJson())).toBe(RECORDS - 4);

    // The rest of kafka-consumer-groups.sh's targets and scopes.
    const reset = async (...args: string[]) => {
      const out = expectOk(await samsa(['groups', 'reset-offsets', '-g', GROUP, ...args, '--json', ...b]), `reset-offsets ${args.join(' ')}`);
      return (JSON.parse(out.stdout.toString('utf8')) as { partitions: Array<{ topic: string; partition: number; offset: number }> }).partitions;
    };
    const currentOffsets = async () => (await describeJson()).map((r) => r.currentOffset);
    const ends = (await describeJson()).map((r) => r.logEndOffset);
    expect(await reset('-t', TOPIC, '--shift-by', '-1', '--execute')).toEqual([{ topic: TOPIC, partition: 0, offset: 1 }, { topic: TOPIC, partition: 1, offset: 1 }]);
    expect(await currentOffsets()).toEqual([1, 1]);
    expect(await reset('-t', `${TOPIC}:0`, '--to-latest', '--execute')).toEqual([{ topic: TOPIC, partition: 0, offset: ends[0] }]);
    expect(await currentOffsets()).toEqual([ends[0], 1]); // partition 1 untouched
    expect(await reset('--all-topics', '--to-current')).toEqual([{ topic: TOPIC, partition: 0, offset: ends[0] }, { topic: TOPIC, partition: 1, offset: 1 }]);
    expect(await reset('-t', TOPIC, '--shift-by', '1000')).toEqual([{ topic: TOPIC, partition: 0, offset: ends[0] }, { topic: TOPIC, partition: 1, offset: ends[1] }]); // clamped, dry run
    expect(await currentOffsets()).toEqual([ends[0], 1]);
    // Every record was produced within the last hour: an hour back is the start of each partition.
    expect(await reset('-t', TOPIC, '--by-duration', 'PT1H', '--execute')).toEqual([{ topic: TOPIC, partition: 0, offset: 0 }, { topic: TOPIC, partition: 1, offset: 0 }]);
    expect(totalLag(await describeJson())).toBe(RECORDS);
    expect(await reset('-t', TOPIC, '--to-datetime', new Date(Date.now() + 3_600_000).toISOString())).toEqual([{ topic: TOPIC, partition: 0, offset: ends[0] }, { topic: TOPIC, partition: 1, offset: ends[1] }]);
    const noSuchPartition = await samsa(['groups', 'reset-offsets', '-g', GROUP, '-t', `${TOPIC}:9`, '--to-earliest', ...b]);
    expect(noSuchPartition.code).toBe(1);
    expect(noSuchPartition.stderr).toContain('no partition 9');
    // A plan that fails on one topic commits nothing, not even on the topics planned before it.
    await createTopic(broker.bootstrap, `${TOPIC}-other`, 1);
    const before = await currentOffsets();
    const partial = await samsa(['groups', 'reset-offsets', '-g', GROUP, '-t', TOPIC, '-t', `${TOPIC}-other`, '--shift-by', '1', '--execute', ...b]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain('no committed offset');
    expect(await currentOffsets()).toEqual(before);

    expectOk(await samsa(['groups', 'delete', GROUP, ...b]), 'groups delete');
    expect(expectOk(await samsa(['groups', 'list', ...b]), 'groups list').stdout.toString('utf8').split('\n')).not.toContain(GROUP);
  }, 120_000);

  it('usage errors exit 2; an unknown group exits 1; every subcommand has --help', async () => {
    for (const sub of ['list', 'describe', 'delete', 'reset-offsets']) {
      const help = await samsa(['groups', sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.toString('utf8')).toContain('--bootstrap');
    }
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--to-latest', ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-datetime', 'yesterday', ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--topic', TOPIC, '--to-earliest', ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--to-earliest', ...b])).code).toBe(2); // no scope
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--all-topics', '--to-earliest', ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', `${TOPIC}:x`, '--to-earliest', ...b])).code).toBe(2);
    expect((await samsa(['groups', 'reset-offsets', '--group', GROUP, '--topic', TOPIC, '--by-duration', '1h', ...b])).code).toBe(2);
    const unknown = await samsa(['groups', 'describe', 'no-such-group', ...b]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no-such-group');
  }, 30_000);

  it('consume --group reads every record once across runs and commits (lag 0)', async () => {
    const topic = 'cli-consume-group';
    const group = 'cli-cg';
    await createTopic(broker.bootstrap, topic, 2);
    const produce = async (from: number, count: number) =>
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], { input: Array.from({ length: count }, (_, i) => `k${(from + i) % 3}:v${from + i}`).join('\n') + '\n' }), 'kcat -P');
    const consume = async (): Promise<string[]> => {
      const r = expectOk(await samsa(['consume', '-t', topic, '--group', group, '--from-beginning', '--idle-ms', '1500', ...b], { timeoutMs: 40_000 }), 'consume --group');
      return r.stdout.toString('utf8').split('\n').filter((l) => l.length > 0);
    };
    await produce(0, 20);
    expect((await consume()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    await produce(20, 5);
    expect((await consume()).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `v${20 + i}`).sort());
    const out = expectOk(await samsa(['groups', 'describe', group, '--json', ...b]), 'groups describe').stdout.toString('utf8');
    const rows = (JSON.parse(out) as Array<{ rows: Row[] }>)[0]!.rows;
    expect(rows.reduce((s, r) => s + (r.currentOffset ?? 0), 0)).toBe(25);
    expect(totalLag(rows)).toBe(0);
    expect((await samsa(['consume', '-t', topic, '--group', group, '--max-messages', '1', ...b])).code).toBe(2);
  }, 90_000);
});
