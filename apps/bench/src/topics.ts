/**
 * Creates a topic for a bench through KafkaJS's admin client (a client nobody here wrote),
 * waiting for its leaders. KafkaJS retries at most 3 times; an existing topic is an error,
 * since a bench always starts from an empty data directory.
 */
import kafkajs from 'kafkajs';

export async function createTopic(bootstrap: string, topic: string, numPartitions: number, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
    if (!created) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
}
