/**
 * `samsa-metadata.json`: where the single broker kept its metadata before the local
 * metadata store (issue 13). It is only read now, once, to migrate it into
 * `samsa-metadata.kv` (metadata-store.ts); then it is renamed `samsa-metadata.json.migrated`
 * and kept, never deleted.
 *
 * Format (version 1, written by every earlier release): one JSON object
 * `{ formatVersion: 1, clusterId, producerIdBlockEnd, topics: [{ name, topicId, partitions,
 * configs }], dynamicBrokerConfigs }`. The reader keeps the old checks: a file larger than
 * `METADATA_JSON_BYTES_MAX`, not JSON, of another format, with a malformed topic entry or a
 * config value the log cannot take is refused with MetadataCorruptError naming it.
 */
import { isLegalTopicId, isLegalTopicName } from '@samsa/coordinator';
import type { FileSystem } from '@samsa/runtime';
import { checkStoredConfigs, MetadataCorruptError } from './metadata-state.ts';
import type { MetadataState } from './metadata-state.ts';

export const LEGACY_METADATA_FILE_NAME = 'samsa-metadata.json';
/** What the JSON file is renamed to once the kv store holds its content. */
export const MIGRATED_SUFFIX = '.migrated';
const METADATA_JSON_BYTES_MAX = 64 * 1024 * 1024;
const FORMAT_VERSION = 1;

/** The state in the file at `path`, or null when there is no such file. */
export async function readMetadataJson(fs: FileSystem, path: string): Promise<MetadataState | null> {
  const stat = await fs.stat(path);
  if (stat === null) return null;
  if (stat.sizeBytes > METADATA_JSON_BYTES_MAX) throw new MetadataCorruptError(`${path} is larger than ${METADATA_JSON_BYTES_MAX} bytes`);
  return parseMetadataJson(path, new TextDecoder().decode(await fs.readFile(path)));
}

export function parseMetadataJson(path: string, text: string): MetadataState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MetadataCorruptError(`${path} is not JSON`, { cause: e });
  }
  const r = raw as Partial<MetadataState> & { formatVersion?: unknown };
  if (r === null || typeof r !== 'object' || r.formatVersion !== FORMAT_VERSION || typeof r.clusterId !== 'string' || !Array.isArray(r.topics)) {
    throw new MetadataCorruptError(`${path} has an unknown format`);
  }
  const names = new Set<string>();
  for (const t of r.topics) {
    if (typeof t?.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.partitions) || t.partitions < 1) {
      throw new MetadataCorruptError(`${path} has a malformed topic entry`);
    }
    // The kv store's keys hold names and ids (cluster-keys.ts): only legal ones, each name once.
    if (!isLegalTopicName(t.name) || !isLegalTopicId(t.topicId) || t.partitions > 0x7fffffff || names.has(t.name)) {
      throw new MetadataCorruptError(`${path} has a malformed topic entry (name '${t.name}', id '${t.topicId}', ${t.partitions} partitions)`);
    }
    names.add(t.name);
  }
  const pid = r.producerIdBlockEnd;
  if (pid !== undefined && !(typeof pid === 'number' && Number.isSafeInteger(pid) && pid >= 0)) throw new MetadataCorruptError(`${path} has a malformed producerIdBlockEnd`);
  for (const configs of [r.dynamicBrokerConfigs, ...r.topics.map((t) => t.configs)]) {
    if (configs === undefined) continue;
    if (configs === null || typeof configs !== 'object' || Object.values(configs).some((v) => typeof v !== 'string')) throw new MetadataCorruptError(`${path} has a config that is not a string`);
  }
  const state: MetadataState = {
    clusterId: r.clusterId,
    producerIdBlockEnd: pid ?? 0,
    topics: r.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions, configs: { ...(t.configs ?? {}) } })),
    dynamicBrokerConfigs: { ...(r.dynamicBrokerConfigs ?? {}) },
  };
  checkStoredConfigs(path, state.topics, state.dynamicBrokerConfigs);
  return state;
}
