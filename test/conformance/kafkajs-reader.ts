/**
 * Group-less reading with KafkaJS for the conformance suites: KafkaJS's own Fetch request
 * sent to the partition leader (see ./kafkajs-client.ts for why
 * KafkaJS's `consumer` cannot be used before the group APIs land).
 */
import { PartitionReader } from './kafkajs-client.ts';

export interface ReadRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
}

/** Fetch rounds per partition before giving up (each returns ≥ 1 record or waits ≤ 100 ms). */
const ROUNDS_MAX = 10_000;

/** Reads partitions [0, partitions) of `topic` from offset 0 up to their high watermarks. */
export async function readAllPartitions(bootstrap: string, topic: string, partitions: number): Promise<Map<number, ReadRecord[]>> {
  const reader = new PartitionReader({ bootstrap });
  await reader.connect(topic);
  const result = new Map<number, ReadRecord[]>();
  try {
    for (let p = 0; p < partitions; p++) {
      const list: ReadRecord[] = [];
      let next = 0;
      for (let round = 0; round < ROUNDS_MAX; round++) {
        const { records, highWatermark } = await reader.fetch(topic, p, next, 100);
        for (const r of records) {
          list.push({ offset: Number(r.offset), key: r.key === null ? null : r.key.toString('utf8'), value: r.value === null ? '' : r.value.toString('utf8') });
          next = Number(r.offset) + 1;
        }
        if (next >= highWatermark) break;
      }
      result.set(p, list);
    }
  } finally {
    await reader.close();
  }
  return result;
}

