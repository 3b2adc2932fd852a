/**
 * The single broker's durable metadata as the rest of the broker sees it (MetadataState),
 * whatever file holds it: the local metadata store (`samsa-metadata.kv`, metadata-kv-layout.ts)
 * or, before issue 13, `samsa-metadata.json` (metadata-json.ts, read once to migrate).
 *
 * Configs are validated when read as they are when set (AlterConfigs, CreateTopics): a
 * value the log cannot take (a file written by an older version that accepted it, or
 * edited by hand) stops the start with MetadataCorruptError naming the file, the topic
 * and the key, rather than failing a log open or being changed silently.
 */
import { validateBrokerDynamicConfig } from '../config/config-resources.ts';
import { ConfigError } from '../config/config-types.ts';
import { validateTopicConfig } from '../config/topic-config.ts';

export interface TopicRecord {
  readonly name: string;
  /** Kafka uuid text form (22 chars, url-safe base64). */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level config overrides as text (Kafka's TOPIC_CONFIG source). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface MetadataState {
  readonly clusterId: string;
  /** Producer ids below this may have been handed out; the next block starts here. */
  readonly producerIdBlockEnd: number;
  readonly topics: readonly TopicRecord[];
  /** Broker configs set with AlterConfigs (DYNAMIC_BROKER_CONFIG source). */
  readonly dynamicBrokerConfigs: Readonly<Record<string, string>>;
}

/** A metadata file that cannot be read as the broker's metadata; the message names the file. */
export class MetadataCorruptError extends Error {
  override readonly name = 'MetadataCorruptError';
  readonly code = 'metadata-corrupt';
}

/** Validates the stored topic overrides and dynamic broker configs; throws MetadataCorruptError naming `path` and the key. */
export function checkStoredConfigs(path: string, topics: readonly TopicRecord[], dynamic: Readonly<Record<string, string>>): void {
  const check = (where: string, validate: () => unknown): void => {
    try {
      validate();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new MetadataCorruptError(`${path}: ${where}: ${e.message} (fix or remove the key in the file)`, { cause: e });
    }
  };
  for (const t of topics) {
    for (const [name, value] of Object.entries(t.configs)) check(`topic ${t.name}`, () => validateTopicConfig(name, value));
  }
  for (const [name, value] of Object.entries(dynamic)) check('dynamic broker configs', () => validateBrokerDynamicConfig(name, value));
}
