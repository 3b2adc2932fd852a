/**
 * Producer id blocks shared by every broker of a cluster.
 *
 * The cluster's `producer-ids` key (ClusterKeys.producerIds) holds `{ "v": 1, "blockEnd": N }`:
 * every producer id below N may have been handed out by some broker. A broker reserves
 * `count` more with a compare-and-set transaction: read the key, then put
 * `blockEnd + count` only if the key's modRevision is still the one read (createRevision 0
 * when it did not exist). Whoever wins owns [N, N + count); a loser reads again and retries.
 * No two brokers can own overlapping blocks, because each put is conditional on the exact
 * version it extended.
 *
 * Unknown outcomes: a txn that timed out may have applied. Retrying then reserves a new
 * block and the old one is simply never used: ids are unique, not dense. The same layout is
 * what a single broker's local metadata store keeps (topics/metadata-kv-layout.ts).
 *
 * Bounds: at most `attemptsMax` compare-and-set rounds per reservation (contention from
 * the other brokers); a `count` outside [1, 1_000_000] is refused.
 */
import { MetadataStoreError, type ClusterKeys, type MetadataStore } from '@samsa/coordinator';

export const PRODUCER_ID_BLOCK_ATTEMPTS_MAX = 32;
const countMax = 1_000_000;

export class ProducerIdBlockError extends Error {
  override readonly name = 'ProducerIdBlockError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeProducerIds(blockEnd: number): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, blockEnd }));
}

/** The `blockEnd` of the key's value; throws ProducerIdBlockError for a value it cannot read. */
export function decodeProducerIds(bytes: Uint8Array): number {
  let o: unknown;
  try {
    o = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new ProducerIdBlockError(`the producer-ids key is not UTF-8 JSON: ${(e as Error).message}`);
  }
  const r = o as { v?: unknown; blockEnd?: unknown };
  if (typeof o !== 'object' || o === null || r.v !== 1 || typeof r.blockEnd !== 'number' || !Number.isSafeInteger(r.blockEnd) || r.blockEnd < 0) {
    throw new ProducerIdBlockError(`the producer-ids key holds ${JSON.stringify(o)}, not { v: 1, blockEnd: <non-negative integer> }`);
  }
  return r.blockEnd;
}

/** Reserves `count` producer ids for this broker; resolves the first one. */
export async function allocateProducerIdBlock(store: MetadataStore, keys: ClusterKeys, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 1 || count > countMax) throw new RangeError(`a producer id block of ${count} ids`);
  for (let attempt = 0; attempt < PRODUCER_ID_BLOCK_ATTEMPTS_MAX; attempt++) {
    const kv = await store.get(keys.producerIds);
    const start = kv === null ? 0 : decodeProducerIds(kv.value);
    const end = start + count;
    if (!Number.isSafeInteger(end)) throw new ProducerIdBlockError(`producer ids are exhausted (blockEnd ${start})`);
    try {
      const result = await store.txn({
        compare: kv === null ? [{ key: keys.producerIds, target: 'createRevision', op: 'equal', value: 0 }] : [{ key: keys.producerIds, target: 'modRevision', op: 'equal', value: kv.modRevision }],
        success: [{ type: 'put', key: keys.producerIds, value: encodeProducerIds(end) }],
      });
      if (result.succeeded) return start;
    } catch (e) {
      // Maybe applied, maybe not: read again and reserve past whatever is there now.
      if (!(e instanceof MetadataStoreError) || e.code !== 'unknown-outcome') throw e;
    }
  }
  throw new ProducerIdBlockError(`could not reserve producer ids in ${PRODUCER_ID_BLOCK_ATTEMPTS_MAX} attempts (other brokers kept winning)`);
}
