/**
 * A PartitionLogStore for tests whose `__consumer_offsets` appends go through a hook
 * (slow writes, gated writes, injected failures); every other topic, and every other
 * method, is the inner store's (the broker's SamsaLogStore, see BrokerOptions.wrapLogs).
 * The hook gets the real log and the batches and must return (or throw) what the append
 * does.
 */
import { CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets-log.ts';
import type { AppendOptions, AppendResult } from '@samsa/log';
import type { PartitionLog, PartitionLogStore } from '../partitions/partition-log.ts';

export type OffsetsAppendHook = (log: PartitionLog, batches: Uint8Array, options?: AppendOptions) => Promise<AppendResult>;

export function interceptOffsetsAppends(inner: PartitionLogStore, append: OffsetsAppendHook): PartitionLogStore {
  return {
    async open(topic, partition, config) {
      const log = await inner.open(topic, partition, config);
      if (topic !== CONSUMER_OFFSETS_TOPIC) return log;
      // A proxy, not a copy: the real log's getters stay live, its methods run on the real
      // log (its private fields), and the store still recognizes it (instanceof).
      const intercepted = (batches: Uint8Array, options?: AppendOptions): Promise<AppendResult> => append(log, batches, options);
      return new Proxy(log, {
        get(target, key) {
          if (key === 'append') return intercepted;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    remove: (topic, partition, options) => inner.remove(topic, partition, options),
    reconfigure: (log, config) => inner.reconfigure?.(log, config),
    close: () => inner.close(),
  };
}
