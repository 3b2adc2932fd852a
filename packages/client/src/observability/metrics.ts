/**
 * The client's metrics hooks: plain callbacks, each optional, called synchronously at the
 * moment the event happens. Feed them into prom-client, OpenTelemetry or a counter of your
 * own; the client keeps no global state and no registry. A hook that throws is reported once
 * through the logger and otherwise ignored: metrics never break a send or a fetch.
 *
 * Durations are monotonic milliseconds from the client's `Clock`; sizes are bytes.
 */

/** How a request to a broker ended. */
export type RequestOutcome = 'ok' | 'timeout' | 'aborted' | 'connection-error';

export interface RequestMetric {
  /** `host:port` of the broker. */
  readonly broker: string;
  /** The Kafka API name, e.g. `Produce`. */
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  /** The request frame, size prefix included. */
  readonly requestBytes: number;
  /** The response frame after its size prefix; 0 when none arrived (or none is expected). */
  readonly responseBytes: number;
  /** From the write to the response (or to the failure). */
  readonly durationMs: number;
  readonly outcome: RequestOutcome;
}

export interface ConnectionMetric {
  readonly broker: string;
  readonly event: 'open' | 'close';
  /** Why it closed, when it did not close on request. */
  readonly error?: Error;
}

export interface ProducedBatchMetric {
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  /** The batch's estimated size (what `batchSizeBytes` limits). */
  readonly bytes: number;
  /** Produce attempts it took, 1 when the first one succeeded. */
  readonly attempts: number;
  /** From the first record's append to the acknowledgement or final failure. */
  readonly durationMs: number;
  /** 0 when acknowledged, else the Kafka error code (-1 for a client-side failure). */
  readonly errorCode: number;
}

export interface FetchedRecordsMetric {
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  /** Record-batch bytes in the response for this partition. */
  readonly bytes: number;
  /** The partition's high watermark minus the next offset to fetch, after this response. */
  readonly lagRecords: number;
}

export interface RebalanceMetric {
  readonly groupId: string;
  readonly generationId: number;
  readonly event: 'assigned' | 'revoked' | 'lost';
  readonly partitions: number;
}

export interface ClientMetrics {
  onRequest?(metric: RequestMetric): void;
  onConnection?(metric: ConnectionMetric): void;
  onProducedBatch?(metric: ProducedBatchMetric): void;
  onFetchedRecords?(metric: FetchedRecordsMetric): void;
  onRebalance?(metric: RebalanceMetric): void;
}
