// Producer partitioners: Java-compatible murmur2 for keyed records, KIP-480 sticky for keyless.
export { murmur2, murmur2Partition, toPositive } from './murmur2.ts';
export { StickyPartitioner } from './sticky-partitioner.ts';
export { choosePartition, defaultPartitioner } from './partitioner.ts';
export type { Partitioner, PartitionerRecord } from './partitioner.ts';
