/**
 * A PartitionLogStore for tests whose `__consumer_offsets` appends go through a hook
 * (slow writes, gated writes, injected failures); every other topic, and every other
 * method, is the inner store's. The hook gets the real log and the batches and must
 * return (or throw) what the append does.
 */
import { CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets-log.ts';
import type { AppendResult, PartitionLog, PartitionLogStore } from '../partitions/partition-log.ts';

export type OffsetsAppendHook = (log: PartitionLog, batches: Uint8Array) => Promise<AppendResult>;

export function interceptOffsetsAppends(inner: PartitionLogStore, append: OffsetsAppendHook): PartitionLogStore {
  return {
    async open(topic, partition, config) {
      const log = await inner.open(topic, partition, config);
      if (topic !== CONSUMER_OFFSETS_TOPIC) return log;
      return Object.assign(Object.create(log) as PartitionLog, { append: (batches: Uint8Array) => append(log, batches) });
    },
    remove: (topic, partition, options) => inner.remove(topic, partition, options),
    close: () => inner.close(),
  };
}
