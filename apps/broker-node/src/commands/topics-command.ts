/**
 * `samsa topics create|list|describe|delete|alter`: topic administration through the
 * Kafka admin APIs (CreateTopics, Metadata, DescribeConfigs, DeleteTopics,
 * CreatePartitions, AlterConfigs), sent by @samsa/client's Admin (see client/cli-client.ts);
 * `describe` asks each broker on its own (describe-topics.ts: a partition without a leader
 * or a broker that does not answer must not fail it) and adds each replica's lag from its
 * broker's DescribeLogDirs.
 */
import { Command } from 'commander';
import type { Admin } from '@samsa/client';
import { CliError, ExitCode } from '@samsa/host/cli';
import { bootstrapFrom, collect, intFlag, keyValue } from './parse-flags.ts';
import { bootstrapOption, explainKafkaError, withAdmin } from './admin-client.ts';
import { describeTopics } from './describe-topics.ts';
import { formatTopicDescriptions } from './topic-description.ts';
import type { TopicDescription } from './topic-description.ts';
import type { Common } from './admin-client.ts';

/** Kafka's TOPIC_ALREADY_EXISTS, without loading the codec for --help. */
const TOPIC_ALREADY_EXISTS = 36;
/** How long `create` waits for every new partition to have a leader, and how often it looks. */
const LEADERS_WAIT_MS_MAX = 10_000;
const LEADERS_POLL_MS = 100;

export function topicsCommand(): Command {
  const topics = new Command('topics').description('create, list, describe, delete and alter topics');
  addCreateCommand(topics);
  addListCommand(topics);
  addDescribeCommand(topics);
  addDeleteCommand(topics);
  addAlterCommand(topics);
  return topics;
}

function addCreateCommand(topics: Command): void {
  bootstrapOption(topics.command('create'))
    .description('create a topic')
    .argument('<name>', 'topic name ([a-zA-Z0-9._-], at most 249 characters)')
    .option('-p, --partitions <n>', 'partition count', intFlag('--partitions', 1, 100_000), 1)
    .option('-r, --replication-factor <n>', 'replicas per partition (1 on a single broker)', intFlag('--replication-factor', 1, 32), 1)
    .option('-c, --config <key=value>', 'topic config, repeatable (e.g. retention.ms=60000)', collect)
    .option('--validate-only', 'check the request without creating the topic')
    .action(async (name: string, o: Common & { partitions: number; replicationFactor: number; config?: string[]; validateOnly?: boolean }) => {
      const configs = Object.fromEntries((o.config ?? []).map((c) => keyValue('--config', c)));
      await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          await admin.createTopics([{ name, partitions: o.partitions, replicationFactor: o.replicationFactor, configs }], { validateOnly: o.validateOnly === true });
          if (o.validateOnly !== true) await waitForLeaders(admin, name);
        } catch (error) {
          if ((error as { errorCode?: number }).errorCode === TOPIC_ALREADY_EXISTS) {
            throw new CliError(`topic "${name}" already exists; see it with \`samsa topics describe ${name}\``, ExitCode.failure);
          }
          explainKafkaError(`creating topic "${name}"`, error);
        }
      });
      process.stdout.write(o.validateOnly ? `topic "${name}" is valid (not created)\n` : `created topic "${name}" with ${o.partitions} partition(s)\n`);
    });

}

function addListCommand(topics: Command): void {
  bootstrapOption(topics.command('list'))
    .description('list topic names')
    .option('--json', 'print JSON')
    .action(async (o: Common) => {
      const names = await withAdmin({ bootstrap: bootstrapFrom(o) }, (admin) => admin.listTopics({ includeInternal: true }).catch((error: unknown) => explainKafkaError('listing topics', error)));
      names.sort();
      process.stdout.write(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
    });

}

function addDescribeCommand(topics: Command): void {
  bootstrapOption(topics.command('describe'))
    .description('partitions (leader, replicas, ISR, lag per replica, under-replicated / offline) and configs of topics')
    .argument('[names...]', 'topics to describe (default: all)')
    .option('--json', 'print JSON')
    .action(async (names: string[], o: Common) => {
      let described: TopicDescription[];
      try {
        described = await describeTopics(bootstrapFrom(o), names);
      } catch (error) {
        return explainKafkaError(`describing ${names.length > 0 ? names.join(', ') : 'topics'}`, error);
      }
      process.stdout.write(o.json ? `${JSON.stringify(described, null, 2)}\n` : formatTopicDescriptions(described));
    });

}

function addDeleteCommand(topics: Command): void {
  bootstrapOption(topics.command('delete'))
    .description('delete topics and their data')
    .argument('<names...>', 'topics to delete')
    .action(async (names: string[], o: Common) => {
      await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          await admin.deleteTopics(names);
        } catch (error) {
          explainKafkaError(`deleting ${names.join(', ')}`, error);
        }
      });
      process.stdout.write(`deleted ${names.map((n) => `"${n}"`).join(', ')}\n`);
    });

}

function addAlterCommand(topics: Command): void {
  bootstrapOption(topics.command('alter'))
    .description('add partitions or change topic configs')
    .argument('<name>', 'topic to alter')
    .option('-p, --partitions <n>', 'new total partition count (can only grow)', intFlag('--partitions', 1, 100_000))
    .option('-c, --config <key=value>', 'set a topic config, repeatable', collect)
    .action(async (name: string, o: Common & { partitions?: number; config?: string[] }) => {
      if (o.partitions === undefined && (o.config ?? []).length === 0) {
        throw new CliError('nothing to alter: pass --partitions <n> and/or --config key=value', ExitCode.usage);
      }
      const configs = Object.fromEntries((o.config ?? []).map((c) => keyValue('--config', c)));
      await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        try {
          if (o.partitions !== undefined) {
            await admin.createPartitions([{ topic: name, count: o.partitions }]);
          }
          if (Object.keys(configs).length > 0) {
            // AlterConfigs (not incremental): the given configs replace the topic's overrides.
            await admin.alterConfigs([{ type: 'topic', name, configs }]);
          }
        } catch (error) {
          explainKafkaError(`altering "${name}"`, error);
        }
      });
      process.stdout.write(`altered topic "${name}"\n`);
    });
}

/**
 * Resolves once every partition of `name` has a leader, so a `produce` or `consume` right
 * after `create` finds them (the CLI has always waited so); throws after LEADERS_WAIT_MS_MAX.
 */
async function waitForLeaders(admin: Admin, name: string): Promise<void> {
  const deadline = Date.now() + LEADERS_WAIT_MS_MAX;
  for (;;) {
    const [topic] = await admin.describeTopics([name]).catch(() => []);
    if (topic !== undefined && topic.partitions.length > 0 && topic.partitions.every((p) => p.leaderId >= 0)) return;
    if (Date.now() >= deadline) throw new CliError(`topic "${name}" was created but not every partition had a leader within ${LEADERS_WAIT_MS_MAX} ms; check with \`samsa topics describe ${name}\``, ExitCode.failure);
    await new Promise((resolve) => setTimeout(resolve, LEADERS_POLL_MS));
  }
}
