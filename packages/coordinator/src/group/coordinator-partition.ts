/**
 * Which `__consumer_offsets` partition coordinates a group, exactly as Kafka computes it:
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, where Java's
 * String.hashCode is `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units with 32-bit
 * wraparound, and Kafka's Utils.abs is `n & 0x7fffffff` (so Integer.MIN_VALUE maps to 0,
 * not to a negative number as Math.abs would).
 *
 * Pure; any caller.
 */

/** Java's String.hashCode: a signed 32-bit integer. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The `__consumer_offsets` partition that owns `groupId`'s metadata and offsets. */
export function consumerOffsetsPartitionFor(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
  return (javaStringHashCode(groupId) & 0x7fffffff) % numPartitions;
}
