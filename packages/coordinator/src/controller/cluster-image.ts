/**
 * The controller's view of the cluster: the decoded records under the root prefix, with
 * each key's revisions (the controller compare-and-sets on them). Built from a `range`
 * (`load`) and kept current by watch batches (`apply`), in revision order; an event at or
 * below the image's revision is ignored, so a re-delivered batch changes nothing.
 *
 * A key whose value does not decode is left out (and counted in `malformedKeys`): the
 * controller never acts on a record it cannot read, and never overwrites one blindly.
 */
import type { KeyValue, WatchBatch } from '../metadata/metadata-store.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import {
  decodeBrokerRegistration,
  decodeConfigRecord,
  decodePartitionRecord,
  decodeTopicRecord,
  type BrokerRegistration,
  type ConfigRecord,
  type PartitionRecord,
  type TopicRecord,
} from './cluster-records.ts';

export interface Versioned<T> {
  readonly record: T;
  readonly createRevision: number;
  readonly modRevision: number;
}

export class ClusterImage {
  readonly keys: ClusterKeys;
  revision = 0;
  controller: KeyValue | null = null;
  readonly brokers = new Map<number, Versioned<BrokerRegistration>>();
  readonly topics = new Map<string, Versioned<TopicRecord>>();
  /** By partition key. */
  readonly partitions = new Map<string, Versioned<PartitionRecord> & { readonly topic: string }>();
  readonly topicConfigs = new Map<string, Versioned<ConfigRecord>>();
  readonly brokerConfigs = new Map<number, Versioned<ConfigRecord>>();
  /** The cluster-wide default broker configs (`configs/brokers/default`), null when none. */
  brokerDefaultConfig: Versioned<ConfigRecord> | null = null;
  malformedKeys = 0;

  constructor(keys: ClusterKeys) {
    this.keys = keys;
  }

  /** Replaces the image with a range read at `revision`. */
  load(kvs: readonly KeyValue[], revision: number): void {
    this.controller = null;
    this.brokers.clear();
    this.topics.clear();
    this.partitions.clear();
    this.topicConfigs.clear();
    this.brokerConfigs.clear();
    this.brokerDefaultConfig = null;
    for (const kv of kvs) this.put(kv);
    this.revision = revision;
  }

  /** Applies one watch batch; false when it was already applied (older than the image). */
  apply(batch: WatchBatch): boolean {
    if (batch.revision <= this.revision) return false;
    for (const e of batch.events) {
      if (e.type === 'put') this.put(e.kv);
      else this.remove(e.kv.key);
    }
    this.revision = batch.revision;
    return true;
  }

  /** The partition records of `topic` that belong to its current incarnation, by partition. */
  partitionsOf(topic: string): Map<number, Versioned<PartitionRecord>> {
    const t = this.topics.get(topic);
    const out = new Map<number, Versioned<PartitionRecord>>();
    if (!t) return out;
    for (let p = 0; p < t.record.partitionCount; p++) {
      const v = this.partitions.get(this.keys.partition(topic, p));
      if (v && v.record.topicId === t.record.topicId) out.set(p, v);
    }
    return out;
  }

  private put(kv: KeyValue): void {
    const k = this.keys.parse(kv.key);
    if (!k) return;
    const v = <T>(record: T): Versioned<T> => ({ record, createRevision: kv.createRevision, modRevision: kv.modRevision });
    try {
      switch (k.kind) {
        case 'controller':
          this.controller = kv;
          return;
        case 'broker':
          this.brokers.set(k.brokerId, v(decodeBrokerRegistration(kv.value)));
          return;
        case 'topic':
          this.topics.set(k.topic, v(decodeTopicRecord(kv.value)));
          return;
        case 'partition':
          this.partitions.set(kv.key, { ...v(decodePartitionRecord(kv.value)), topic: k.topic });
          return;
        case 'topic-config':
          this.topicConfigs.set(k.topic, v(decodeConfigRecord(kv.value)));
          return;
        case 'broker-config':
          this.brokerConfigs.set(k.brokerId, v(decodeConfigRecord(kv.value)));
          return;
        case 'broker-default-config':
          this.brokerDefaultConfig = v(decodeConfigRecord(kv.value));
          return;
      }
    } catch {
      this.malformedKeys += 1;
      this.remove(kv.key);
    }
  }

  private remove(key: string): void {
    const k = this.keys.parse(key);
    if (!k) return;
    if (k.kind === 'controller') this.controller = null;
    else if (k.kind === 'broker') this.brokers.delete(k.brokerId);
    else if (k.kind === 'topic') this.topics.delete(k.topic);
    else if (k.kind === 'partition') this.partitions.delete(key);
    else if (k.kind === 'topic-config') this.topicConfigs.delete(k.topic);
    else if (k.kind === 'broker-default-config') this.brokerDefaultConfig = null;
    else this.brokerConfigs.delete(k.brokerId);
  }
}
