/**
 * Kafka's murmur2: the hash the Java producer uses to place a keyed record
 * (`org.apache.kafka.common.utils.Utils.murmur2`, seed 0x9747b28c), and the partition it
 * picks from it (`BuiltInPartitioner.partitionForKey`, earlier `DefaultPartitioner`):
 *
 *   partition = toPositive(murmur2(keyBytes)) % numPartitions
 *
 * Java computes in wrapping 32-bit `int`s; here every product goes through `Math.imul` and
 * every shift that Java writes `>>>` stays `>>>` on the int32 value, so the result is the
 * same signed 32-bit integer Java returns. The key is hashed as bytes: a string key must be
 * encoded first (UTF-8, as Java's StringSerializer and KafkaJS do).
 *
 * Note the placement uses the topic's full partition count, not only partitions with a
 * leader: a key always maps to the same partition while the count does not change.
 *
 * Pure and allocation-free; safe to call from anywhere.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java's `Utils.murmur2(byte[])`: a signed 32-bit hash of `data`. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Java's switch falls through 3 → 2 → 1; the tail is at most three bytes.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Java's `Utils.toPositive`: clears the sign bit. Not `Math.abs` — `abs(-2^31)` overflows in
 * Java, and the mask maps each negative hash to a different value than abs would.
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * The partition Java's producer gives a record whose serialized key is `key`.
 * `numPartitions` is the topic's full partition count (≥ 1).
 */
export function murmur2Partition(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`murmur2Partition: numPartitions must be a positive integer, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}
