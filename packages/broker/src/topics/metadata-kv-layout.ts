/**
 * How the single broker's MetadataState sits in its local metadata store
 * (`<log.dirs[0]>/samsa-metadata.kv`, LocalMetadataStore): the cluster key schema of
 * @samsa/coordinator (cluster-keys.ts, cluster-records.ts) wherever it fits, so the file
 * reads like one broker's share of an etcd cluster, plus two keys of its own:
 *
 * ```
 * /samsa-local/meta                              {"v":1,"clusterId":"<id>"}  (written last, see below)
 * <root>producer-ids                             {"v":1,"blockEnd":N}        (producer ids below N may be in use)
 * <root>topics/<name>                            TopicRecord {name, topicId, partitionCount}
 * <root>partitions/<name>/<partition:10>         PartitionRecord {topicId, partition, replicas [node],
 *                                                  isr [node], leader node, leaderEpoch 0, partitionEpoch 0}
 * <root>configs/topics/<name>                    ConfigRecord: the topic's overrides (absent when none)
 * <root>configs/brokers/<node.id:10>             ConfigRecord: the dynamic broker configs (absent when none)
 * ```
 *
 * `<root>` is `/samsa/<clusterId>/`. The cluster id is found at open in the fixed key
 * `/samsa-local/meta`. That key is the store's **completeness mark**: the first write of a
 * store (a new data dir, a migration from `samsa-metadata.json`, a rebuild from the
 * partition dirs) may take several transactions (etcd's 128-operation bound per
 * transaction), and puts the meta key in the last one. A store without it was cut short
 * by a crash and does not count (metadata-store.ts starts that write over).
 *
 * Partition records are derived: one replica (this broker), epochs 0. They are never read
 * back into the state; `decodeEntries` only checks they decode. A later save is one
 * transaction holding every change of the state (atomic, like the old file's rewrite) and
 * as many partition changes as fit (a deleted topic's partitions: one delete-prefix). New
 * partition keys go in transactions before it (a topic key then always finds its
 * partitions, the controller's rule), partition changes that did not fit in transactions
 * after it. So a crash between them leaves only partition keys no topic points at, or
 * (for a topic re-created under the same name in one save, or a node.id change) records
 * not yet rewritten; the next save (and every open) puts them right, because a save writes
 * the difference between the keys the store holds and the keys the state needs
 * (`planSave`).
 *
 * Values are canonical (same state, same bytes): the records' encoders fix the field order,
 * and configs keep the order they were set in. This module is pure; it does no I/O.
 */
import { decodeProducerIds, encodeProducerIds } from '../cluster/producer-id-blocks.ts';
import {
  ClusterKeys,
  ClusterRecordError,
  decodeConfigRecord,
  decodePartitionRecord,
  decodeTopicRecord,
  encodeConfigRecord,
  encodePartitionRecord,
  encodeTopicRecord,
} from '@samsa/coordinator';
import type { KeyValue, TxnOp } from '@samsa/coordinator';
import { checkStoredConfigs, MetadataCorruptError } from './metadata-state.ts';
import type { MetadataState, TopicRecord } from './metadata-state.ts';

export const LOCAL_META_KEY = '/samsa-local/meta';
const LOCAL_PREFIX = '/samsa-local/';
const RECORD_VERSION = 1;
/** etcd's default `--max-txn-ops` (the local store enforces it too). */
export const TXN_OPS_MAX = 128;
/** Below etcd's default `--max-request-bytes` (1.5 MiB), keys and values counted. */
export const TXN_BYTES_MAX = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function producerIdsKey(keys: ClusterKeys): string {
  return keys.producerIds;
}

/** The root's keys for `clusterId`; MetadataCorruptError naming `path` when the id cannot be part of a key. */
export function clusterKeysFor(path: string, clusterId: string): ClusterKeys {
  try {
    return new ClusterKeys(clusterId);
  } catch (e) {
    throw new MetadataCorruptError(
      `${path}: cluster id '${clusterId}' cannot name the metadata store's root (only letters, digits, '.', '_' and '-', at most 64 characters): set cluster.id, or fix clusterId in the file`,
      { cause: e },
    );
  }
}

/**
 * The entries of each topic record last encoded, by record object: the broker replaces a
 * topic's record when it changes, so an unchanged topic (most of them, in every save) costs
 * neither encoding nor comparing (`planSave` sees the same value objects). Holds only the
 * topics of the last state encoded with it.
 */
export type TopicEntriesCache = WeakMap<TopicRecord, { readonly clusterId: string; readonly nodeId: number; readonly entries: readonly (readonly [string, Uint8Array])[] }>;

/** Every key and value the store holds for `state` (the meta key included). */
export function desiredEntries(state: MetadataState, nodeId: number, cache: TopicEntriesCache = new WeakMap()): Map<string, Uint8Array> {
  const keys = new ClusterKeys(state.clusterId);
  const out = new Map<string, Uint8Array>();
  out.set(LOCAL_META_KEY, encodeJson({ clusterId: state.clusterId }));
  out.set(producerIdsKey(keys), encodeProducerIds(state.producerIdBlockEnd));
  for (const t of state.topics) {
    let cached = cache.get(t);
    if (cached === undefined || cached.clusterId !== state.clusterId || cached.nodeId !== nodeId) {
      cached = { clusterId: state.clusterId, nodeId, entries: topicEntries(keys, t, nodeId) };
      cache.set(t, cached);
    }
    for (const [key, value] of cached.entries) out.set(key, value);
  }
  if (Object.keys(state.dynamicBrokerConfigs).length > 0) out.set(keys.brokerConfig(nodeId), encodeConfigRecord({ configs: state.dynamicBrokerConfigs }));
  return out;
}

function topicEntries(keys: ClusterKeys, t: TopicRecord, nodeId: number): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [[keys.topic(t.name), encodeTopicRecord({ name: t.name, topicId: t.topicId, partitionCount: t.partitions })]];
  if (Object.keys(t.configs).length > 0) out.push([keys.topicConfig(t.name), encodeConfigRecord({ configs: t.configs })]);
  for (let p = 0; p < t.partitions; p++) {
    const record = { topicId: t.topicId, partition: p, replicas: [nodeId], isr: [nodeId], leader: nodeId, leaderEpoch: 0, partitionEpoch: 0 };
    out.push([keys.partition(t.name, p), encodePartitionRecord(record)]);
  }
  return out;
}

/**
 * The state the store holds, or null when it is incomplete (no meta key: empty, or its
 * first write was cut short). MetadataCorruptError naming `path` for a key or value this
 * layout does not have, or a config the log cannot take.
 */
export function decodeEntries(path: string, kvs: readonly KeyValue[], nodeId: number): MetadataState | null {
  const meta = kvs.find((kv) => kv.key === LOCAL_META_KEY);
  if (meta === undefined) return null;
  const bad = (key: string, why: string, cause?: unknown): never => {
    throw new MetadataCorruptError(`${path}: key ${key}: ${why}`, cause === undefined ? undefined : { cause });
  };
  const clusterId = decodeJson(meta.value, () => bad(meta.key, 'not a JSON record of version 1')).clusterId;
  if (typeof clusterId !== 'string') return bad(meta.key, "no string 'clusterId'");
  const keys = clusterKeysFor(path, clusterId);
  let producerIdBlockEnd: number | null = null;
  const topics = new Map<string, { topicId: string; partitions: number }>();
  const topicConfigs = new Map<string, Record<string, string>>();
  const brokerConfigs = new Map<number, Record<string, string>>();
  for (const kv of kvs) {
    if (kv.key === LOCAL_META_KEY) continue;
    if (kv.key === producerIdsKey(keys)) {
      // The same record a cluster's brokers reserve blocks in (cluster/producer-id-blocks.ts).
      try {
        producerIdBlockEnd = decodeProducerIds(kv.value);
      } catch (e) {
        return bad(kv.key, (e as Error).message, e);
      }
      continue;
    }
    const parsed = kv.key.startsWith(LOCAL_PREFIX) ? null : keys.parse(kv.key);
    if (parsed === null) return bad(kv.key, `not a key of this layout (the root is ${keys.root})`);
    try {
      if (parsed.kind === 'topic') {
        const r = decodeTopicRecord(kv.value);
        if (r.name !== parsed.topic) bad(kv.key, `names topic '${r.name}'`);
        topics.set(r.name, { topicId: r.topicId, partitions: r.partitionCount });
      } else if (parsed.kind === 'topic-config') topicConfigs.set(parsed.topic, { ...decodeConfigRecord(kv.value).configs });
      else if (parsed.kind === 'broker-config') brokerConfigs.set(parsed.brokerId, { ...decodeConfigRecord(kv.value).configs });
      else if (parsed.kind === 'partition') decodePartitionRecord(kv.value);
      else bad(kv.key, `a ${parsed.kind} key has no place in a single broker's store`);
    } catch (e) {
      if (e instanceof ClusterRecordError) bad(kv.key, e.message, e);
      throw e;
    }
  }
  if (producerIdBlockEnd === null) return bad(producerIdsKey(keys), 'missing');
  const state: MetadataState = {
    clusterId,
    producerIdBlockEnd,
    topics: [...topics].map(([name, t]): TopicRecord => ({ name, topicId: t.topicId, partitions: t.partitions, configs: topicConfigs.get(name) ?? {} })),
    dynamicBrokerConfigs: brokerConfigsOf(path, keys, brokerConfigs, nodeId),
  };
  checkStoredConfigs(path, state.topics, state.dynamicBrokerConfigs);
  return state;
}

/**
 * This broker's dynamic configs: under its node.id, or, when node.id changed since they
 * were set, the one other entry (as the old file, which did not record the id, carried
 * them over; the next save moves them under the new id).
 */
function brokerConfigsOf(path: string, keys: ClusterKeys, byNode: ReadonlyMap<number, Record<string, string>>, nodeId: number): Record<string, string> {
  const own = byNode.get(nodeId);
  if (own !== undefined) return own;
  if (byNode.size === 0) return {};
  if (byNode.size === 1) return [...byNode.values()][0]!;
  throw new MetadataCorruptError(`${path}: ${byNode.size} entries under ${keys.brokerConfigsPrefix}, none for node.id ${nodeId}: a single broker keeps one`);
}

/** The transactions of a save, in order, and which one holds the change (see `planSave`). */
export interface SavePlan {
  readonly txns: readonly (readonly TxnOp[])[];
  /** The transaction whose success makes the new state the stored one (-1: nothing to write). */
  readonly decisive: number;
}

/**
 * The transactions that turn the store's keys (`current`) into `desired`: new partition
 * keys first (chunks of at most TXN_OPS_MAX ops / TXN_BYTES_MAX bytes), then one transaction
 * with every other change and as many partition changes as fit, then the partition changes
 * left. Throws (before anything is written) when the other changes alone do not fit into
 * one transaction: a save changes one topic or setting at a time, so that means a bug.
 */
export function planSave(current: ReadonlyMap<string, Uint8Array>, desired: ReadonlyMap<string, Uint8Array>, clusterId: string): SavePlan {
  const keys = new ClusterKeys(clusterId);
  const isPartition = (key: string): boolean => key.startsWith(keys.partitionsPrefix);
  const early: TxnOp[] = [];
  const main: TxnOp[] = [];
  const partitionChanges: TxnOp[] = [];
  for (const [key, value] of desired) {
    const old = current.get(key);
    if (old !== undefined && (old === value || bytesEqual(old, value))) continue;
    const put: TxnOp = { type: 'put', key, value };
    if (!isPartition(key)) main.push(put);
    else if (old === undefined) early.push(put);
    else partitionChanges.push(put);
  }
  const goneTopics = new Set<string>();
  for (const key of current.keys()) {
    if (desired.has(key)) continue;
    const parsed = keys.parse(key);
    if (parsed?.kind === 'partition' && !desired.has(keys.topic(parsed.topic))) goneTopics.add(parsed.topic);
    else if (isPartition(key)) partitionChanges.push({ type: 'delete', key });
    else main.push({ type: 'delete', key });
  }
  for (const topic of goneTopics) partitionChanges.push({ type: 'delete-prefix', prefix: keys.topicPartitionsPrefix(topic) });
  if (main.length > TXN_OPS_MAX || opsBytes(main) > TXN_BYTES_MAX) {
    throw new Error(`assertion: one metadata save changes ${main.length} keys (${opsBytes(main)} bytes), more than one transaction holds`);
  }
  const txns = chunk(early);
  const fitting = Math.max(0, Math.min(partitionChanges.length, TXN_OPS_MAX - main.length));
  let take = 0;
  let bytes = opsBytes(main);
  while (take < fitting && bytes + opBytes(partitionChanges[take]!) <= TXN_BYTES_MAX) bytes += opBytes(partitionChanges[take++]!);
  const decisiveOps = [...main, ...partitionChanges.slice(0, take)];
  const decisive = decisiveOps.length > 0 ? txns.push(decisiveOps) - 1 : txns.length - 1;
  txns.push(...chunk(partitionChanges.slice(take)));
  return { txns, decisive };
}

/**
 * The first write of a store: every key of `desired` but the meta key in chunks, the meta
 * key in the last transaction (the completeness mark); after deleting whatever an earlier,
 * cut-short first write left (`clearFirst`).
 */
export function planFirstWrite(desired: ReadonlyMap<string, Uint8Array>, clearFirst: boolean): TxnOp[][] {
  const puts: TxnOp[] = [...desired].filter(([key]) => key !== LOCAL_META_KEY).map(([key, value]) => ({ type: 'put', key, value }));
  const meta = desired.get(LOCAL_META_KEY);
  if (meta === undefined) throw new Error('assertion: the desired entries have no meta key');
  return [...(clearFirst ? [[{ type: 'delete-prefix' as const, prefix: '' }]] : []), ...chunk(puts), [{ type: 'put', key: LOCAL_META_KEY, value: meta }]];
}

function chunk(ops: readonly TxnOp[]): TxnOp[][] {
  const out: TxnOp[][] = [];
  let current: TxnOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = opBytes(op);
    if (current.length > 0 && (current.length >= TXN_OPS_MAX || bytes + size > TXN_BYTES_MAX)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function opBytes(op: TxnOp): number {
  if (op.type === 'put') return op.key.length + op.value.length;
  return op.type === 'delete-prefix' || op.type === 'range' ? op.prefix.length : op.key.length;
}

function opsBytes(ops: readonly TxnOp[]): number {
  return ops.reduce((n, op) => n + opBytes(op), 0);
}

function encodeJson(record: object): Uint8Array {
  return encoder.encode(JSON.stringify({ v: RECORD_VERSION, ...record }));
}

function decodeJson(bytes: Uint8Array, fail: () => never): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return fail();
  }
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== RECORD_VERSION) return fail();
  return value as Record<string, unknown>;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
