/**
 * MetadataStore: the broker's own durable metadata — cluster id, topics (name, id,
 * partition count, config overrides), dynamic broker configs and the producer-id
 * high-water block — in one JSON file, `<first log dir>/samsa-metadata.json`.
 *
 * Crash safety: every save writes `samsa-metadata.json.tmp` (truncate, write, sync,
 * close), renames it over the real file (atomic) and syncs the directory, so after a
 * crash the file holds either the previous or the new state, never a mix. A stray
 * `.tmp` from a crash is ignored and overwritten. Saves are serialized: callers await
 * `save()` and the next one starts only after the previous rename.
 * A save that fails before its rename (a full disk) removes its `.tmp` (it holds space)
 * and leaves the old file; `saveOrRevert` then also puts the state back.
 *
 * The file is small (topics × ~200 bytes); the reader caps it at `METADATA_BYTES_MAX`.
 *
 * Configs are validated on load as they are when set (AlterConfigs, CreateTopics): a
 * value the log cannot take (a file written by an older version that accepted it, or
 * edited by hand) stops the start with MetadataCorruptError naming the file, the topic
 * and the key, rather than failing a log open or being changed silently.
 */
import { joinPath } from '@samsa/runtime';
import type { FileSystem } from '@samsa/runtime';
import { mkdirsDurably } from '@samsa/log';
import { validateBrokerDynamicConfig } from '../config/config-resources.ts';
import { ConfigError } from '../config/config-types.ts';
import { validateTopicConfig } from '../config/topic-config.ts';

export const METADATA_FILE_NAME = 'samsa-metadata.json';
const METADATA_BYTES_MAX = 64 * 1024 * 1024;
const FORMAT_VERSION = 1;

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

export class MetadataCorruptError extends Error {
  override readonly name = 'MetadataCorruptError';
  readonly code = 'metadata-corrupt';
}

export class MetadataStore {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #state: MetadataState;
  #saving: Promise<void> = Promise.resolve();

  /**
   * Parents of a data dir this open created that it was not allowed to sync (Deno
   * permissions granting the data dir only): the broker warns about them.
   */
  readonly unsyncedParents: readonly string[];

  private constructor(fs: FileSystem, dir: string, state: MetadataState, unsyncedParents: readonly string[]) {
    this.#fs = fs;
    this.#dir = dir;
    this.#state = state;
    this.unsyncedParents = unsyncedParents;
  }

  /**
   * Loads the file, or creates it with a fresh cluster id (`newClusterId()`) when absent —
   * holding `initial` (topics and producer-id start rebuilt from partition dirs, see
   * metadata-from-logs.ts) if given.
   */
  static async open(
    fs: FileSystem,
    dir: string,
    newClusterId: () => string,
    clusterIdOverride?: string | null,
    initial?: { readonly topics: readonly TopicRecord[]; readonly producerIdBlockEnd: number },
  ): Promise<MetadataStore> {
    // Durably (the parents are synced): on a first start the data dir is created here, and
    // a crash must not take it, the logs in it and this file away (Kafka flushes the
    // parent of a log dir it creates, too).
    const unsyncedParents = await mkdirsDurably(fs, dir);
    const path = joinPath(dir, METADATA_FILE_NAME);
    const stat = await fs.stat(path);
    if (stat && stat.sizeBytes > METADATA_BYTES_MAX) throw new MetadataCorruptError(`${path} is larger than ${METADATA_BYTES_MAX} bytes`);
    if (stat) {
      const state = parseState(path, new TextDecoder().decode(await fs.readFile(path)));
      return new MetadataStore(fs, dir, state, unsyncedParents);
    }
    const fresh: MetadataState = {
      clusterId: clusterIdOverride ?? newClusterId(),
      producerIdBlockEnd: initial?.producerIdBlockEnd ?? 0,
      topics: initial?.topics ?? [],
      dynamicBrokerConfigs: {},
    };
    const store = new MetadataStore(fs, dir, fresh, unsyncedParents);
    await store.save(store.state);
    return store;
  }

  get state(): MetadataState {
    return this.#state;
  }

  /** Makes `next` the current state at once and durable when the promise resolves. */
  save(next: MetadataState): Promise<void> {
    this.#state = next;
    const run = this.#saving.then(() => this.#write(this.#state));
    this.#saving = run.catch(() => {});
    return run;
  }

  /**
   * `save`, except that when the write fails before the new file replaced the old one (a
   * full disk), the state goes back to what it was (unless a later save changed it), so
   * memory and file agree and the caller can answer with an error code.
   */
  async saveOrRevert(next: MetadataState): Promise<void> {
    const previous = this.#state;
    const progress = { replaced: false };
    this.#state = next;
    const run = this.#saving.then(() => this.#write(this.#state, progress));
    this.#saving = run.catch(() => {});
    try {
      await run;
    } catch (e) {
      if (!progress.replaced && this.#state === next) this.#state = previous;
      throw e;
    }
  }

  async #write(state: MetadataState, progress: { replaced: boolean } = { replaced: false }): Promise<void> {
    const path = joinPath(this.#dir, METADATA_FILE_NAME);
    const tmp = `${path}.tmp`;
    const bytes = new TextEncoder().encode(JSON.stringify({ formatVersion: FORMAT_VERSION, ...state }, null, 1));
    try {
      const handle = await this.#fs.open(tmp, 'read-write', { truncate: true });
      try {
        await handle.write(bytes, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#fs.rename(tmp, path);
    } catch (e) {
      await this.#fs.remove(tmp).catch(() => {});
      throw e;
    }
    progress.replaced = true;
    await this.#fs.syncDir(this.#dir);
  }
}

function parseState(path: string, text: string): MetadataState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MetadataCorruptError(`${path} is not JSON`, { cause: e });
  }
  const r = raw as Partial<MetadataState> & { formatVersion?: unknown };
  if (r.formatVersion !== FORMAT_VERSION || typeof r.clusterId !== 'string' || !Array.isArray(r.topics)) {
    throw new MetadataCorruptError(`${path} has an unknown format`);
  }
  for (const t of r.topics) {
    if (typeof t?.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.partitions) || t.partitions < 1) {
      throw new MetadataCorruptError(`${path} has a malformed topic entry`);
    }
  }
  checkConfigs(path, r.topics, r.dynamicBrokerConfigs ?? {});
  return {
    clusterId: r.clusterId,
    producerIdBlockEnd: typeof r.producerIdBlockEnd === 'number' ? r.producerIdBlockEnd : 0,
    topics: r.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions, configs: { ...(t.configs ?? {}) } })),
    dynamicBrokerConfigs: { ...(r.dynamicBrokerConfigs ?? {}) },
  };
}

/** Validates the stored topic overrides and dynamic broker configs; throws MetadataCorruptError naming the key. */
function checkConfigs(path: string, topics: readonly TopicRecord[], dynamic: Readonly<Record<string, string>>): void {
  const check = (where: string, validate: () => unknown): void => {
    try {
      validate();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new MetadataCorruptError(`${path}: ${where}: ${e.message} (fix or remove the key in the file)`, { cause: e });
    }
  };
  for (const t of topics) {
    for (const [name, value] of Object.entries(t.configs ?? {})) check(`topic ${t.name}`, () => validateTopicConfig(name, value));
  }
  for (const [name, value] of Object.entries(dynamic)) check('dynamic broker configs', () => validateBrokerDynamicConfig(name, value));
}
