/**
 * `samsa groups list|describe|delete|reset-offsets`: consumer-group administration
 * through the Kafka group APIs (ListGroups, DescribeGroups, DeleteGroups, OffsetFetch,
 * OffsetCommit) and ListOffsets, sent by @samsa/client's Admin (see client/cli-client.ts).
 *
 * `describe` prints what kafka-consumer-groups.sh --describe prints: one row per
 * partition with a committed offset or an owner (GROUP TOPIC PARTITION CURRENT-OFFSET
 * LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID); the Admin's describeGroups decodes the
 * members' assignments (the consumer protocol's MemberAssignment).
 * `reset-offsets` is a dry run unless --execute, as in Kafka; the broker refuses it
 * while the group has members. Its scope and targets are kafka-consumer-groups.sh's
 * (see reset-plan.ts): --topic name[:partitions] (repeatable) or --all-topics; one of
 * --to-earliest/-latest/-current/-offset/-datetime, --shift-by, --by-duration. The plan is
 * computed here (the Admin's resetConsumerGroupOffsets has no shift, duration or current
 * target) and committed with one simple OffsetCommit (alterConsumerGroupOffsets).
 */
import { Command } from 'commander';
import type { Admin } from '@samsa/client';
import { CliError, ExitCode } from '@samsa/host/cli';
import { bootstrapFrom } from './parse-flags.ts';
import { bootstrapOption, explainKafkaError, withAdmin } from './admin-client.ts';
import type { Common } from './admin-client.ts';
import { parseResetTarget, parseTopicSpec, resetOffsetFor } from './reset-plan.ts';
import { topicOffsets } from './topic-offsets.ts';
import type { PartitionOffsets, ResetTarget, ResetTargetFlags, TopicSpec } from './reset-plan.ts';

export interface DescribeRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** null: nothing committed. */
  readonly currentOffset: number | null;
  readonly logEndOffset: number;
  readonly lag: number | null;
  readonly consumerId: string | null;
  readonly host: string | null;
  readonly clientId: string | null;
}

/** Pads columns to the widest cell, like kafka-consumer-groups.sh. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

async function describeGroup(admin: Admin, groupId: string): Promise<{ state: string; rows: DescribeRow[] }> {
  const [group] = await admin.describeGroups([groupId]);
  if (group === undefined || (group.state === 'Dead' && group.members.length === 0)) {
    throw new CliError(`consumer group "${groupId}" does not exist; see the groups with \`samsa groups list\``, ExitCode.failure);
  }
  const owners = new Map<string, { consumerId: string; host: string; clientId: string }>();
  const topics = new Set<string>();
  for (const m of group.members) {
    for (const [topic, partitions] of m.assignment?.partitions ?? []) {
      topics.add(topic);
      for (const p of partitions) owners.set(`${topic}\0${p}`, { consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  const [committed] = await admin.listConsumerGroupOffsets([groupId]);
  const commits = committed?.offsets ?? [];
  for (const c of commits) topics.add(c.topic);
  const rows: DescribeRow[] = [];
  for (const topic of [...topics].sort()) {
    for (const end of await topicOffsets(admin, topic)) {
      const owner = owners.get(`${topic}\0${end.partition}`);
      const c = commits.find((x) => x.topic === topic && x.partition === end.partition);
      const current = c !== undefined && c.offset >= 0 ? c.offset : null;
      if (current === null && owner === undefined) continue;
      rows.push({
        group: groupId,
        topic,
        partition: end.partition,
        currentOffset: current,
        logEndOffset: end.high,
        lag: current === null ? null : Math.max(0, end.high - current),
        consumerId: owner?.consumerId ?? null,
        host: owner?.host ?? null,
        clientId: owner?.clientId ?? null,
      });
    }
  }
  return { state: group.state, rows };
}

export function groupsCommand(): Command {
  const groups = new Command('groups').description('list, describe, delete consumer groups and reset their offsets');
  addListCommand(groups);
  addDescribeCommand(groups);
  addDeleteCommand(groups);
  addResetOffsetsCommand(groups);
  return groups;
}

function addListCommand(groups: Command): void {
  bootstrapOption(groups.command('list'))
    .description('list consumer group ids')
    .option('--json', 'print JSON')
    .action(async (o: Common) => {
      const listed = await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          // --json keeps the shape it has always had: { groupId, protocolType } per group.
          return (await admin.listGroups()).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
        } catch (error) {
          return explainKafkaError('listing groups', error);
        }
      });
      const ids = listed.map((g) => g.groupId).sort();
      process.stdout.write(o.json ? `${JSON.stringify(listed)}\n` : ids.map((g) => `${g}\n`).join(''));
    });

}

function addDescribeCommand(groups: Command): void {
  bootstrapOption(groups.command('describe'))
    .description('committed offsets, log-end offsets, lag and owners of a group\'s partitions')
    .argument('<groups...>', 'group ids')
    .option('--json', 'print JSON')
    .action(async (ids: string[], o: Common) => {
      const described = await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        const out = [];
        for (const id of ids) {
          try {
            out.push({ group: id, ...(await describeGroup(admin, id)) });
          } catch (error) {
            explainKafkaError(`describing group "${id}"`, error);
          }
        }
        return out;
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
        return;
      }
      const dash = (x: string | number | null) => (x === null ? '-' : String(x));
      for (const g of described) {
        process.stdout.write(`\nConsumer group '${g.group}' (${g.state})\n\n`);
        process.stdout.write(
          formatTable(
            ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
            g.rows.map((r) => [r.group, r.topic, String(r.partition), dash(r.currentOffset), String(r.logEndOffset), dash(r.lag), dash(r.consumerId), dash(r.host), dash(r.clientId)]),
          ),
        );
      }
    });

}

function addDeleteCommand(groups: Command): void {
  bootstrapOption(groups.command('delete'))
    .description('delete consumer groups (they must have no members) and their committed offsets')
    .argument('<groups...>', 'group ids')
    .action(async (ids: string[], o: Common) => {
      await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          await admin.deleteGroups(ids);
        } catch (error) {
          explainKafkaError(`deleting ${ids.map((g) => `"${g}"`).join(', ')}`, error);
        }
      });
      process.stdout.write(`deleted group(s) ${ids.map((g) => `"${g}"`).join(', ')}\n`);
    });

}

function addResetOffsetsCommand(groups: Command): void {
  bootstrapOption(groups.command('reset-offsets'))
    .description('move a group\'s committed offsets (dry run unless --execute; the group must have no members)')
    .requiredOption('-g, --group <id>', 'group id')
    .option('-t, --topic <spec>', 'topic to reset: <name> (every partition) or <name>:<p>,<p>,…; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--all-topics', 'every topic the group has committed offsets on')
    .option('--to-earliest', 'to each partition\'s log start offset')
    .option('--to-latest', 'to each partition\'s log end offset')
    .option('--to-current', 'to the committed offset (the log end where none is committed)')
    .option('--to-offset <n>', 'to offset n (clamped to the partition\'s range)')
    .option('--shift-by <n>', 'move the committed offset by n, negative to go back (clamped)')
    .option('--to-datetime <iso>', 'to the first offset at or after this time (e.g. 2026-01-31T12:00:00Z)')
    .option('--by-duration <iso>', 'to the first offset at or after now minus this duration (e.g. PT30M, P1DT2H)')
    .option('--execute', 'commit the new offsets (without it, only print the plan)')
    .option('--json', 'print JSON')
    .action(async (o: Common & ResetTargetFlags & { group: string; topic: string[]; allTopics?: boolean; execute?: boolean }) => {
      const target = parseResetTarget(o, Date.now());
      if ((o.topic.length > 0) === (o.allTopics === true)) throw new CliError('pass --topic <name>[:<partitions>] (repeatable) or --all-topics', ExitCode.usage);
      const specs = o.topic.map(parseTopicSpec);
      const plan = await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          return await planReset(admin, o.group, specs, o.allTopics === true, target, o.execute === true);
        } catch (error) {
          if (error instanceof CliError) throw error;
          return explainKafkaError(`resetting offsets of group "${o.group}"`, error);
        }
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ group: o.group, executed: o.execute === true, partitions: plan })}\n`);
        return;
      }
      process.stdout.write(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [o.group, p.topic, String(p.partition), String(p.offset)])));
      if (!o.execute) process.stdout.write('(dry run: nothing committed; add --execute to commit these offsets)\n');
    });
}

/**
 * New offsets per topic and partition (sorted). With `execute` they are committed, one
 * OffsetCommit per topic, only after the whole plan is known, so a partition that cannot
 * be planned (an unknown partition, --shift-by with nothing committed) commits nothing.
 */
async function planReset(admin: Admin, groupId: string, specs: readonly TopicSpec[], allTopics: boolean, target: ResetTarget, execute: boolean): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  const [listed] = await admin.listConsumerGroupOffsets([groupId]);
  const committed = (listed?.offsets ?? []).filter((c) => c.offset >= 0);
  const scope = allTopics ? [...new Set(committed.map((c) => c.topic))].map((topic): TopicSpec => ({ topic, partitions: null })) : specs;
  if (scope.length === 0) throw new CliError(`group "${groupId}" has no committed offsets, so --all-topics names no topic`, ExitCode.failure);
  const byTopic = new Map<string, Set<number> | null>();
  for (const s of scope) {
    const had = byTopic.get(s.topic);
    byTopic.set(s.topic, s.partitions === null || had === null ? null : new Set([...(had ?? []), ...s.partitions]));
  }
  const out: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const [topic, wanted] of [...byTopic].sort(([a], [b]) => a.localeCompare(b))) {
    const ranges = await topicOffsets(admin, topic, target.kind === 'timestamp' ? target.timestampMs : undefined);
    const known = new Set(ranges.map((e) => e.partition));
    for (const p of wanted ?? []) if (!known.has(p)) throw new CliError(`topic "${topic}" has no partition ${p} (it has ${ranges.length})`, ExitCode.failure);
    const partitions = ranges
      .filter((e) => wanted === null || wanted.has(e.partition))
      .map((e) => {
        const c = committed.find((x) => x.topic === topic && x.partition === e.partition);
        const offsets: PartitionOffsets = { ...e, committed: c === undefined ? null : c.offset };
        return { topic, partition: e.partition, offset: resetOffsetFor(target, offsets, topic) };
      });
    out.push(...partitions);
  }
  if (execute) {
    // The coordinator takes a simple commit only from a group without members; say so plainly.
    const [group] = await admin.describeGroups([groupId]);
    const members = group?.members.length ?? 0;
    if (members > 0) throw new CliError(`group "${groupId}" has ${members} member(s) (state ${group!.state}); stop its consumers before resetting its offsets`, ExitCode.failure);
    await admin.alterConsumerGroupOffsets(groupId, out);
  }
  return out;
}
