/**
 * What a broker does when its metadata is missing — no complete `samsa-metadata.kv` and
 * no `samsa-metadata.json` to migrate (metadata-store.ts) — but partition directories are
 * not (issue 11, defect 6). Without the metadata every topic would vanish and the next start
 * would set every partition dir aside as `-stray`. So the broker refuses to start
 * (MetadataMissingError), unless the operator asks it to rebuild the topics from the
 * partition dirs (`recoverMetadataFromLogs`):
 * - a topic per `<topic>-<n>` dir name (set-aside `-stray` and `-delete` dirs do not
 *   count); its partition count is the highest n + 1 (a missing partition in between
 *   starts empty);
 * - configs: the broker defaults (the overrides were in the lost file), except
 *   `__consumer_offsets`, which gets its internal configs (compacted) again;
 * - new topic ids and, as nothing else records it, a new cluster id;
 * - producer ids restart above any this broker can have handed out before (see
 *   `recoveredProducerIdStart`), so no producer id seen in the logs is given out again.
 */
import { uuidToString } from '@samsa/codec';
import { parsePartitionDirName } from '@samsa/log';
import { CONSUMER_OFFSETS_CONFIGS, CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets-log.ts';
import { LEGACY_METADATA_FILE_NAME } from './metadata-json.ts';
import type { TopicRecord } from './metadata-state.ts';
import type { Random } from '@samsa/runtime';

/** The flag of both apps (also a BrokerOptions field); named in the refusal message. */
export const RECOVER_METADATA_FLAG = '--recover-metadata-from-logs';

export class MetadataMissingError extends Error {
  override readonly name = 'MetadataMissingError';
  readonly code = 'metadata-missing';
  readonly dir: string;
  readonly partitionDirs: number;
  constructor(dir: string, file: string, partitionDirs: readonly string[]) {
    const shown = partitionDirs.slice(0, 5).join(', ') + (partitionDirs.length > 5 ? ', …' : '');
    super(
      `${dir}/${file} is missing (and there is no ${LEGACY_METADATA_FILE_NAME} to migrate), but ${dir} holds ${partitionDirs.length} partition director${partitionDirs.length === 1 ? 'y' : 'ies'} (${shown}). ` +
        `Starting would drop every topic. Restore ${file} from a backup, or start once with ${RECOVER_METADATA_FLAG} to rebuild the topics from the partition directories (topic configs go back to the defaults).`,
    );
    this.dir = dir;
    this.partitionDirs = partitionDirs.length;
  }
}

/** The entries of a log dir that are live partition directories, by name. */
export function partitionDirNames(entries: readonly string[]): string[] {
  return entries.filter((name) => parsePartitionDirName(name) !== null);
}

/** One topic record per topic found in `dirNames` (all parse as partition dirs). */
export function topicsFromPartitionDirs(dirNames: readonly string[], random: Random): TopicRecord[] {
  const used = new Set<string>();
  const newTopicId = (): string => {
    // As TopicRegistry does: no id whose text starts with '-', nor the zero uuid.
    for (let attempt = 0; attempt < 100; attempt++) {
      const bytes = random.fill(new Uint8Array(16));
      const id = uuidToString(bytes, 0);
      if (!id.startsWith('-') && !used.has(id) && bytes.some((b) => b !== 0)) {
        used.add(id);
        return id;
      }
    }
    throw new Error('could not generate a unique topic id');
  };
  const highest = new Map<string, number>();
  for (const name of dirNames) {
    const parsed = parsePartitionDirName(name);
    if (parsed === null) continue;
    highest.set(parsed.topic, Math.max(highest.get(parsed.topic) ?? -1, parsed.partition));
  }
  return [...highest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, top]) => ({ name, topicId: newTopicId(), partitions: top + 1, configs: name === CONSUMER_OFFSETS_TOPIC ? { ...CONSUMER_OFFSETS_CONFIGS } : {} }));
}

/**
 * Producer ids are handed out in blocks from a counter kept in the lost file. Restarting it
 * at the wall clock in ms × 1000 puts it above every id a broker handing out fewer than
 * 1,000 ids per ms since 1970 has used (and below 2^53 until the year 2255).
 */
export function recoveredProducerIdStart(wallMs: number): number {
  return Math.floor(wallMs) * 1000;
}
