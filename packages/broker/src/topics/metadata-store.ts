/**
 * MetadataStore: the single broker's durable metadata — cluster id, topics (name, id,
 * partition count, config overrides), dynamic broker configs and the producer-id
 * high-water block — kept in the local metadata store of @samsa/coordinator,
 * `<first log dir>/samsa-metadata.kv`, laid out as metadata-kv-layout.ts says. The
 * broker reads and changes it through `state`, `save` and `saveOrRevert`.
 *
 * Crash safety: a save is one transaction of the local store (plus, before or after it,
 * partition keys the state does not read back; see the layout), and the store makes a
 * transaction durable (one journal entry appended and fsynced; the store folds its journal
 * into a new snapshot now and then: coordinator README "The local store") before the save resolves.
 * So after a crash the store holds the state before or after each save, never a mix.
 * Saves are serialized: the next one starts after the previous one's transaction settled,
 * and each writes the difference between the keys the store holds and the keys its state
 * needs.
 *
 * A save whose write fails (a full disk) rejects and leaves the stored state as it was
 * (`saveOrRevert` then puts the state in memory back too, unless the write may have reached
 * the file: `unknown-outcome`). The local store stops after a failed write; the next save
 * opens it again, reads what the file holds, and writes its difference from there.
 *
 * Open, in order (each step leaves a state the next open handles, whatever the crash point):
 * 1. `samsa-metadata.kv` holds the meta key (it is complete): that is the state. A
 *    `samsa-metadata.json` beside it (a migration that stopped before its last step) is
 *    renamed `samsa-metadata.json.migrated`.
 * 2. Else, when `samsa-metadata.json` exists: it is read (refused with MetadataCorruptError
 *    when corrupt, nothing written), its state is written into the kv store (whatever a
 *    cut-short earlier attempt left there deleted first, the meta key last), and only once
 *    that is durable is the JSON renamed `samsa-metadata.json.migrated` (never deleted) and
 *    the directory synced. A crash before the meta key is durable leaves the JSON in charge.
 * 3. Else `whenMissing` says what to start with (the broker refuses, or rebuilds the topics
 *    from the partition dirs: metadata-from-logs.ts) and a new cluster id is drawn.
 * A corrupt `samsa-metadata.kv` stops the start (LocalMetadataCorruptError naming the file);
 * it is never replaced. The local store holds `samsa-metadata.kv.lock` while open; the
 * broker takes it after its data-dir lock (`.lock`), so a second broker is refused by
 * that one, with its message, before it reaches this lock.
 */
import { LocalMetadataStore, localMetadataFileName, MetadataStoreError } from '@samsa/coordinator';
import { joinPath } from '@samsa/runtime';
import type { Clock, FileSystem, Random } from '@samsa/runtime';
import { mkdirsDurably } from '@samsa/log';
import { LEGACY_METADATA_FILE_NAME, MIGRATED_SUFFIX, readMetadataJson } from './metadata-json.ts';
import { clusterKeysFor, decodeEntries, desiredEntries, planFirstWrite, planSave } from './metadata-kv-layout.ts';
import type { TopicEntriesCache } from './metadata-kv-layout.ts';
import type { TxnOp } from '@samsa/coordinator';
import type { MetadataState, TopicRecord } from './metadata-state.ts';

export { MetadataCorruptError } from './metadata-state.ts';
export type { MetadataState, TopicRecord } from './metadata-state.ts';
export { LEGACY_METADATA_FILE_NAME } from './metadata-json.ts';

export const METADATA_FILE_NAME: string = localMetadataFileName;
/** Bound on the `.migrated` names tried (`.migrated`, `.migrated.1`, …) when earlier ones exist. */
const MIGRATED_NAMES_MAX = 10;

/** What a start without any metadata begins with (metadata-from-logs.ts), if not empty. */
export interface InitialMetadata {
  readonly topics: readonly TopicRecord[];
  readonly producerIdBlockEnd: number;
}

export interface MetadataStoreOptions {
  readonly fs: FileSystem;
  /** The first log dir: the store's file sits in it. */
  readonly dir: string;
  readonly clock: Clock;
  readonly random: Random;
  /** This broker's node.id: the replica of every partition record, the key of its dynamic configs. */
  readonly nodeId: number;
  readonly newClusterId: () => string;
  /** `cluster.id` from the config: the id of a new store instead of a random one. */
  readonly clusterIdOverride?: string | null;
  /**
   * Called when there is no metadata at all (no complete kv store, no JSON file): what to
   * start with, or undefined for nothing. It may throw (MetadataMissingError) to refuse.
   */
  readonly whenMissing?: () => Promise<InitialMetadata | undefined>;
}

export class MetadataStore {
  readonly #options: MetadataStoreOptions;
  #kv: LocalMetadataStore | null;
  /** The keys and values the local store holds (what the next save diffs against); null after a failed write. */
  #stored: Map<string, Uint8Array> | null;
  #state: MetadataState;
  #saving: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #encoded: TopicEntriesCache = new WeakMap();

  /**
   * Parents of a data dir this open created that it was not allowed to sync (Deno
   * permissions granting the data dir only): the broker warns about them.
   */
  readonly unsyncedParents: readonly string[];
  /** The `samsa-metadata.json` this open migrated (now renamed `…json.migrated`), else null. */
  readonly migratedFrom: string | null;

  private constructor(options: MetadataStoreOptions, kv: LocalMetadataStore, state: MetadataState, unsyncedParents: readonly string[], migratedFrom: string | null) {
    this.#options = options;
    this.#kv = kv;
    this.#stored = desiredEntries(state, options.nodeId, this.#encoded);
    this.#state = state;
    this.unsyncedParents = unsyncedParents;
    this.migratedFrom = migratedFrom;
  }

  /** Opens the store in `options.dir`, migrating `samsa-metadata.json` or creating it (see the file comment). */
  static async open(options: MetadataStoreOptions): Promise<MetadataStore> {
    // Durably (the parents are synced): on a first start the data dir is created here, and
    // a crash must not take it, the logs in it and this file away (Kafka flushes the
    // parent of a log dir it creates, too).
    const unsyncedParents = await mkdirsDurably(options.fs, options.dir);
    const kvPath = joinPath(options.dir, METADATA_FILE_NAME);
    const jsonPath = joinPath(options.dir, LEGACY_METADATA_FILE_NAME);
    // Without a kv file, what to write is settled before the local store is opened (it
    // writes its file at once): a corrupt JSON or a refused start then writes nothing.
    const early = (await options.fs.stat(kvPath)) === null ? await firstState(options, jsonPath, kvPath) : null;
    const kv = await openKv(options);
    try {
      const held = (await kv.range('')).kvs;
      const stored = decodeEntries(kvPath, held, options.nodeId);
      if (stored !== null) {
        const store = new MetadataStore(options, kv, stored, unsyncedParents, null);
        store.#stored = new Map(held.map((x) => [x.key, x.value]));
        // Partition keys a crash between a save's transactions left behind, or a node.id
        // change, are put right now. Best effort (on a full disk the state is served as it
        // is, and the next save tries again).
        await store.save(stored).catch(() => {});
        if ((await options.fs.stat(jsonPath)) !== null) await retireJson(options.fs, options.dir, jsonPath);
        return store;
      }
      const { state, migrated } = early ?? (await firstState(options, jsonPath, kvPath));
      await runInOrder(kv, planFirstWrite(desiredEntries(state, options.nodeId), held.length > 0));
      if (migrated) await retireJson(options.fs, options.dir, jsonPath);
      return new MetadataStore(options, kv, state, unsyncedParents, migrated ? jsonPath : null);
    } catch (e) {
      await kv.close().catch(() => {});
      throw e;
    }
  }

  get state(): MetadataState {
    return this.#state;
  }

  /** Makes `next` the current state at once and durable when the promise resolves. */
  save(next: MetadataState): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#state = next;
    const run = this.#saving.then(() => this.#write(this.#state));
    this.#saving = run.catch(() => {});
    return run;
  }

  /**
   * `save`, except that when the write fails before the new state reached the file (a
   * full disk), the state goes back to what it was (unless a later save changed it), so
   * memory and file agree and the caller can answer with an error code.
   */
  async saveOrRevert(next: MetadataState): Promise<void> {
    if (this.#closed) throw this.#closedError();
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

  #closedError(): MetadataStoreError {
    return new MetadataStoreError('unavailable', `the metadata store of ${this.#options.dir} is closed`);
  }

  /** Lets the saves already asked for finish, then closes the local store (releasing its lock); later saves reject. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#saving;
    await this.#kv?.close();
    this.#kv = null;
  }

  async #write(state: MetadataState, progress: { replaced: boolean } = { replaced: false }): Promise<void> {
    const { kv, stored } = await this.#ready();
    const desired = desiredEntries(state, this.#options.nodeId, this.#encoded);
    const plan = planSave(stored, desired, state.clusterId);
    if (plan.txns.length === 0) return;
    // All at once, in order: the local store applies them in call order and shares file writes among them.
    const outcomes = await Promise.allSettled(plan.txns.map((ops) => kv.txn({ compare: [], success: ops })));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed === undefined) {
      this.#stored = desired;
      progress.replaced = true;
      return;
    }
    // What the file holds is not known here: the next save opens the store again and reads it.
    this.#stored = null;
    const decisive = outcomes[plan.decisive]!;
    // Only derived partition keys failed: the state is stored, and the next save writes them.
    if (decisive.status === 'fulfilled') {
      progress.replaced = true;
      return;
    }
    progress.replaced = (decisive.reason as { code?: unknown }).code === 'unknown-outcome';
    throw decisive.reason;
  }

  /** The open local store and what it holds; after a failed write, the store opened again. */
  async #ready(): Promise<{ kv: LocalMetadataStore; stored: Map<string, Uint8Array> }> {
    if (this.#kv !== null && this.#stored !== null) return { kv: this.#kv, stored: this.#stored };
    const old = this.#kv;
    this.#kv = null;
    await old?.close().catch(() => {});
    const kv = await openKv(this.#options);
    try {
      const held = (await kv.range('')).kvs;
      if (decodeEntries(kv.path, held, this.#options.nodeId) === null) throw new Error(`assertion: ${kv.path} lost its meta key`);
      this.#kv = kv;
      this.#stored = new Map(held.map((x) => [x.key, x.value]));
      return { kv, stored: this.#stored };
    } catch (e) {
      await kv.close().catch(() => {});
      throw e;
    }
  }
}

function openKv(options: MetadataStoreOptions): Promise<LocalMetadataStore> {
  return LocalMetadataStore.open({ fs: options.fs, dir: options.dir, clock: options.clock, random: options.random });
}

/** The state of a store's first write: the JSON's (a migration), else a new one (`whenMissing`). */
async function firstState(options: MetadataStoreOptions, jsonPath: string, kvPath: string): Promise<{ state: MetadataState; migrated: boolean }> {
  const legacy = await readMetadataJson(options.fs, jsonPath);
  if (legacy !== null) {
    clusterKeysFor(jsonPath, legacy.clusterId);
    return { state: legacy, migrated: true };
  }
  const initial = await options.whenMissing?.();
  const clusterId = options.clusterIdOverride ?? options.newClusterId();
  clusterKeysFor(kvPath, clusterId);
  return { state: { clusterId, producerIdBlockEnd: initial?.producerIdBlockEnd ?? 0, topics: initial?.topics ?? [], dynamicBrokerConfigs: {} }, migrated: false };
}

/** Runs the transactions in call order; resolves once all are durable, rejects with the first failure. */
async function runInOrder(kv: LocalMetadataStore, txns: readonly (readonly TxnOp[])[]): Promise<void> {
  const outcomes = await Promise.allSettled(txns.map((ops) => kv.txn({ compare: [], success: ops })));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Renames the migrated JSON to the first free `.migrated` name and syncs the directory; leaves it when none is free. */
async function retireJson(fs: FileSystem, dir: string, jsonPath: string): Promise<void> {
  for (let n = 0; n < MIGRATED_NAMES_MAX; n++) {
    const target = `${jsonPath}${MIGRATED_SUFFIX}${n === 0 ? '' : `.${n}`}`;
    if ((await fs.stat(target)) !== null) continue;
    await fs.rename(jsonPath, target);
    await fs.syncDir(dir);
    return;
  }
}
