/**
 * Producer options, their defaults (Kafka 3.x/4.x producer defaults unless noted) and
 * their checks. Names carry units last; every bound is explicit.
 */
import type { ClientOptions } from '../cluster/client-options.ts';
import type { Random } from '@samsa/runtime';
import type { CompressionName } from '@samsa/codec/wire';
import type { Partitioner } from '../partitioners/index.ts';

export type Acks = 0 | 1 | -1 | 'all';

export interface ProducerOptions extends ClientOptions {
  /** Randomness for the sticky partitioner. */
  readonly random: Random;
  /** 0: fire and forget; 1: the leader appended; -1/'all': the ISR has it. Default 'all'. */
  readonly acks?: Acks;
  /** Default true; needs acks 'all' (unset idempotence turns off with acks 0/1, as Kafka does). */
  readonly idempotent?: boolean;
  /** Wait for more records before sending a batch that is not full. Default 5. */
  readonly lingerMs?: number;
  /** A batch is full at this estimated size. Default 262 144 (256 KiB; see the measurements at the default below). */
  readonly batchSizeBytes?: number;
  /** Records waiting or in flight, in estimated bytes. Default 32 MiB. */
  readonly bufferMemoryBytes?: number;
  /** How long `send()` may wait for metadata and buffer room. Default 60 000. */
  readonly maxBlockMs?: number;
  /** Bound on a record's whole journey, retries included. Default 120 000. */
  readonly deliveryTimeoutMs?: number;
  /** Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Batches of one partition in flight at once; at most 5 with idempotence. Default 5. */
  readonly maxInFlightPerPartition?: number;
  /** Largest Produce request. Default 1 MiB. */
  readonly maxRequestSizeBytes?: number;
  /** Default 100 (first retry), doubled up to `retryBackoffMaxMs` (default 1 000). */
  readonly retryBackoffMs?: number;
  readonly retryBackoffMaxMs?: number;
  readonly compression?: CompressionName;
  /** Default: murmur2 for keys, sticky (KIP-480) for null keys. */
  readonly partitioner?: Partitioner;
  readonly allowAutoTopicCreation?: boolean;
}

export interface ResolvedProducerOptions {
  readonly acks: 0 | 1 | -1;
  readonly idempotent: boolean;
  readonly lingerMs: number;
  readonly batchSizeBytes: number;
  readonly bufferMemoryBytes: number;
  readonly maxBlockMs: number;
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxInFlightPerPartition: number;
  readonly maxRequestSizeBytes: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly compression: CompressionName;
}

/**
 * 256 KiB, not Kafka's 16 KiB, by measurement (`npm run bench -- client-producer-batch-size`,
 * 2026-12-05, 2-core VM shared with other work, load average 2.2-3.1, one Node broker, arrays
 * of 1,000 null-key records, ≤ 8 sends outstanding, linger 5 ms, 3-partition topic, median of 3):
 *
 *   records/s (client CPU s per million; one send's p50)   16 KiB        64 KiB        256 KiB       1 MiB
 *   100 B  acks=1                                            622k (0.86)   1442k (0.53)  1206k (0.49)  737k (0.55)
 *   100 B  acks=all                                          839k (0.82)   1683k (0.48)  1359k (0.47)  744k (0.46)
 *   1 KiB  acks=1                                            86k (5.03)    129k (2.94)   194k (1.86)   195k (2.18)
 *   1 KiB  acks=all                                          109k (4.62)   143k (2.55)   237k (1.47)   264k (1.70)
 *   send p50, 100 B / 1 KiB, acks=1                          10.7 / 91 ms  3.7 / 57 ms   5.4 / 34 ms   9.7 / 40 ms
 *   one record per send, lingerMs 0, p50 / p99              0.17 / 2.7 ms at every size (the buffer grows with the batch)
 *
 * Fewer, larger Produce requests cost the broker and the client less per record; past
 * 256 KiB a batch of small records no longer fills while a producer keeps only ~1 MB
 * outstanding, so it waits for linger and throughput drops (1 MiB, 100 B). 256 KiB is the
 * best overall (geometric mean over the four cases ×1.98 of 16 KiB; 64 KiB ×1.74, 1 MiB
 * ×1.55); two more runs at higher load put 128 KiB and 256 KiB within noise of each other,
 * both ahead of 64 KiB for 1 KiB records. Linger stays 5 ms (Kafka 4's default). A batch's
 * buffer starts small and doubles, so a partition with little traffic does not hold 256 KiB.
 */
export const BATCH_SIZE_BYTES_DEFAULT = 256 * 1024;

/** Kafka's bound for idempotence: the broker caches the last 5 batches per producer. */
export const IDEMPOTENT_IN_FLIGHT_MAX = 5;

export function resolveProducerOptions(o: ProducerOptions): ResolvedProducerOptions {
  const acks = o.acks === 'all' || o.acks === undefined ? -1 : o.acks;
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new RangeError(`acks must be 0, 1, -1 or 'all', got ${String(o.acks)}`);
  if (o.idempotent === true && acks !== -1) throw new RangeError('an idempotent producer needs acks "all" (-1)');
  const idempotent = o.idempotent ?? acks === -1;
  const r: ResolvedProducerOptions = {
    acks,
    idempotent,
    lingerMs: o.lingerMs ?? 5,
    batchSizeBytes: o.batchSizeBytes ?? BATCH_SIZE_BYTES_DEFAULT,
    bufferMemoryBytes: o.bufferMemoryBytes ?? 32 * 1024 * 1024,
    maxBlockMs: o.maxBlockMs ?? 60_000,
    deliveryTimeoutMs: o.deliveryTimeoutMs ?? 120_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    maxInFlightPerPartition: o.maxInFlightPerPartition ?? IDEMPOTENT_IN_FLIGHT_MAX,
    maxRequestSizeBytes: o.maxRequestSizeBytes ?? 1024 * 1024,
    retryBackoffMs: o.retryBackoffMs ?? 100,
    retryBackoffMaxMs: o.retryBackoffMaxMs ?? 1000,
    compression: o.compression ?? 'none',
  };
  for (const [name, value] of Object.entries(r)) {
    if (typeof value === 'number' && name !== 'acks' && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  if (r.batchSizeBytes < 1 || r.maxRequestSizeBytes < 1 || r.bufferMemoryBytes < 1) throw new RangeError('batchSizeBytes, maxRequestSizeBytes and bufferMemoryBytes must be >= 1');
  if (r.maxInFlightPerPartition < 1) throw new RangeError('maxInFlightPerPartition must be >= 1');
  if (idempotent && r.maxInFlightPerPartition > IDEMPOTENT_IN_FLIGHT_MAX) {
    throw new RangeError(`an idempotent producer keeps at most ${IDEMPOTENT_IN_FLIGHT_MAX} batches per partition in flight`);
  }
  return r;
}
