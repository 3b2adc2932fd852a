/**
 * `samsa cluster`: cluster id, controller, brokers and topic count (DescribeCluster and
 * Metadata through KafkaJS).
 */
import { Command } from 'commander';
import { bootstrapFrom } from './parse-flags.ts';

export function clusterCommand(): Command {
  return new Command('cluster')
    .description('show the cluster id, controller and brokers')
    .option('-b, --bootstrap <host:port>', 'broker to talk to (env SAMSA_BOOTSTRAP)')
    .option('--json', 'print JSON')
    .action(async (o: { bootstrap?: string; json?: boolean }) => {
      const { withAdmin } = await import('../client/kafka-client.ts');
      const info = await withAdmin({ bootstrap: bootstrapFrom(o) }, async (admin) => {
        const cluster = await admin.describeCluster();
        const topics = await admin.listTopics();
        return { ...cluster, topicCount: topics.length };
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      process.stdout.write(`Cluster: ${info.clusterId}\nController: ${info.controller ?? 'none'}\nTopics: ${info.topicCount}\nBrokers:\n`);
      for (const b of info.brokers) process.stdout.write(`\t${b.nodeId}\t${b.host}:${b.port}\n`);
    });
}
