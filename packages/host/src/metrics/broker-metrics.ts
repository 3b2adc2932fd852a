/**
 * Broker metrics in the Prometheus text format, on the host's own registry
 * (prometheus-registry.ts; runtime-free). The metric names and output are those the
 * prom-client version printed. An app appends its runtime's process metrics with
 * `extraText` (Node: prom-client's default metrics, `samsa_process_*`).
 *
 * Counters and histograms are pushed by the broker core as events happen (one call per
 * request, per connection change, per appended batch). Per-partition gauges (log size,
 * end offset, partition count) are pulled at scrape time from a snapshot function, so
 * nothing is recorded per partition on the hot path.
 *
 * Group metrics (groups by state, rebalances, commits, expirations) are pulled the same
 * way from the coordinator's own counters, and so is the log dir's space (free bytes, the
 * low-disk threshold, whether writes are refused, offline partitions).
 *
 * Label cardinality is bounded: `api` is one of the Kafka API names the broker knows
 * (≤ 100), and per-partition series are capped at {@link PARTITION_SERIES_MAX}.
 */
import type { DiskGauge, GroupsGauge, Metrics, ReplicationGauge } from '@samsa/broker';
import { Counter, Gauge, Histogram, MetricRegistry, PROMETHEUS_CONTENT_TYPE } from './prometheus-registry.ts';

export const PARTITION_SERIES_MAX = 10_000;

/** Label values for `topic` beyond this many distinct topics are folded into "other". */
export const TOPIC_LABELS_MAX = 1_000;

export interface PartitionStat {
  readonly topic: string;
  readonly partition: number;
  readonly sizeBytes: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

/** The pulled part: what the core's `metricsSnapshot()` returns. */
export interface SnapshotSource {
  readonly topics: number;
  readonly partitions: readonly PartitionStat[];
  readonly groups: GroupsGauge;
  readonly disk?: DiskGauge;
  readonly replication?: ReplicationGauge;
}

const NO_GROUPS: GroupsGauge = { byState: {}, rebalancesTotal: 0, offsetCommitsTotal: 0, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 };

export interface BrokerMetricsOptions {
  /** More exposition text appended to /metrics (the app's process metrics); must end with a newline. */
  readonly extraText?: () => Promise<string> | string;
}

export class BrokerMetrics implements Metrics {
  readonly registry = new MetricRegistry();
  readonly #extraText: (() => Promise<string> | string) | undefined;
  private readonly requests: Counter<'api' | 'version'>;
  private readonly latency: Histogram<'api'>;
  private readonly bytesInTotal: Counter;
  private readonly bytesOutTotal: Counter;
  private readonly recordsInTotal: Counter<'topic'>;
  private readonly messageFormatConversionsTotal: Counter<'api'>;
  private readonly topicLabels = new Set<string>();
  private readonly connectionsOpen: Gauge;
  private readonly connectionsTotal: Counter;
  private readonly connectionsRejected: Counter<'reason'>;
  private readonly requestsWithTrailingBytes: Counter<'api'>;
  private readonly requestTrailingBytesTotal: Counter<'api'>;
  private snapshotSource: () => SnapshotSource = () => ({ topics: 0, partitions: [], groups: NO_GROUPS });

  constructor(options: BrokerMetricsOptions = {}) {
    this.#extraText = options.extraText;
    const r = this.registry;
    this.requests = r.register(new Counter({ name: 'samsa_requests_total', help: 'Kafka requests handled, by API and version', labelNames: ['api', 'version'] }));
    this.latency = r.register(
      new Histogram({
        name: 'samsa_request_latency_seconds',
        help: 'Time from a whole request frame read to its response queued, by API',
        labelNames: ['api'],
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      }),
    );
    this.bytesInTotal = r.register(new Counter({ name: 'samsa_bytes_in_total', help: 'Bytes read from client sockets' }));
    this.bytesOutTotal = r.register(new Counter({ name: 'samsa_bytes_out_total', help: 'Bytes written to client sockets' }));
    this.recordsInTotal = r.register(new Counter({ name: 'samsa_records_in_total', help: 'Records appended by Produce, by topic', labelNames: ['topic'] }));
    this.messageFormatConversionsTotal = r.register(
      new Counter({
        name: 'samsa_message_format_conversions_total',
        help: 'Records converted between message formats for old clients (Produce: magic 0/1 up to 2; Fetch: 2 down to 0/1), by API',
        labelNames: ['api'],
      }),
    );
    this.connectionsOpen = r.register(new Gauge({ name: 'samsa_connections', help: 'Open client connections' }));
    this.connectionsTotal = r.register(new Counter({ name: 'samsa_connections_accepted_total', help: 'Client connections accepted' }));
    this.connectionsRejected = r.register(new Counter({ name: 'samsa_connections_rejected_total', help: 'Connections refused or closed for a protocol violation, by reason', labelNames: ['reason'] }));
    this.requestsWithTrailingBytes = r.register(
      new Counter({
        name: 'samsa_requests_with_trailing_bytes_total',
        help: 'Requests with bytes after their body (ignored, as Kafka does; librdkafka >= 2.1 sends them with all-topics Metadata), by API',
        labelNames: ['api'],
      }),
    );
    this.requestTrailingBytesTotal = r.register(new Counter({ name: 'samsa_request_trailing_bytes_total', help: 'Bytes after request bodies, ignored, by API', labelNames: ['api'] }));
    this.registerPulled();
  }

  /** A gauge without labels set from the snapshot at scrape time (none when `pick` answers undefined: 0). */
  private pulledGauge(name: string, help: string, pick: (s: SnapshotSource) => number | undefined): void {
    this.registry.register(
      new Gauge({
        name,
        help,
        collect: (g) => {
          g.reset();
          const value = pick(this.snapshotSource());
          if (value !== undefined) g.set(undefined, value);
        },
      }),
    );
  }

  /**
   * Counters the broker keeps itself (the coordinator's, the low-disk guard's), copied at
   * scrape time; `pick` answers undefined when the snapshot has none.
   */
  private pulledCounter(name: string, help: string, pick: (s: SnapshotSource) => number | undefined): void {
    this.registry.register(
      new Counter({
        name,
        help,
        collect: (c) => {
          c.reset();
          const value = pick(this.snapshotSource());
          if (value !== undefined) c.inc(undefined, value);
        },
      }),
    );
  }

  /** Gauges and counters read from the core's snapshot at scrape time. */
  private registerPulled(): void {
    const r = this.registry;
    const source = (): SnapshotSource => this.snapshotSource();
    const snapshot = (): readonly PartitionStat[] => source().partitions.slice(0, PARTITION_SERIES_MAX);
    this.pulledGauge('samsa_partitions', 'Partitions hosted by this broker', (s) => s.partitions.length);
    this.pulledGauge('samsa_topics', 'Topics known to this broker', (s) => s.topics);
    r.register(
      new Gauge({
        name: 'samsa_consumer_groups',
        help: 'Consumer groups on this coordinator, by state',
        labelNames: ['state'],
        collect: (g) => {
          g.reset();
          for (const [state, count] of Object.entries(source().groups.byState)) g.set({ state }, count);
        },
      }),
    );
    const groupCounter = (name: string, help: string, pick: (g: GroupsGauge) => number): void => this.pulledCounter(name, help, (s) => pick(s.groups));
    groupCounter('samsa_group_rebalances_total', 'Group rebalances completed (each one a new generation)', (g) => g.rebalancesTotal);
    groupCounter('samsa_group_offset_commits_total', 'Partition offsets committed and acknowledged (rate() of it is the commit rate)', (g) => g.offsetCommitsTotal);
    groupCounter('samsa_group_offsets_expired_total', 'Committed offsets removed by offsets.retention.minutes', (g) => g.offsetsExpiredTotal);
    groupCounter('samsa_group_members_expired_total', 'Group members removed because their session timed out', (g) => g.membersExpiredTotal);
    groupCounter('samsa_group_pending_sync_members_removed_total', 'Group members removed because they sent no SyncGroup within the rebalance timeout', (g) => g.pendingSyncMembersRemovedTotal);
    // The log dir's space; a reading the runtime cannot make (free space unknown) is NaN.
    const diskGauge = (name: string, help: string, pick: (d: DiskGauge) => number | null): void =>
      this.pulledGauge(name, help, (s) => (s.disk === undefined ? undefined : (pick(s.disk) ?? Number.NaN)));
    const diskCounter = (name: string, help: string, pick: (d: DiskGauge) => number): void => this.pulledCounter(name, help, (s) => (s.disk === undefined ? undefined : pick(s.disk)));
    diskGauge('samsa_log_dir_free_bytes', 'Free bytes of the log dir\'s file system (statfs bavail; NaN when unknown)', (d) => d.freeBytes);
    diskGauge('samsa_log_dir_total_bytes', 'Size of the log dir\'s file system (NaN when unknown)', (d) => d.totalBytes);
    diskGauge('samsa_log_dir_free_bytes_min', 'Low-disk threshold in force (log.dir.free.bytes.min resolved; 0 = off)', (d) => d.freeBytesMin);
    diskGauge('samsa_log_dir_writes_refused', '1 while Produce and topic creation are refused for lack of space', (d) => (d.writesRefused ? 1 : 0));
    diskGauge('samsa_offline_partitions', 'Partitions whose log went offline after a storage error (need a restart)', (d) => d.offlinePartitions);
    diskCounter('samsa_log_dir_writes_refused_total', 'Client writes refused because the log dir was low on space', (d) => d.writesRefusedTotal);
    diskCounter('samsa_log_dir_write_errors_total', 'Client writes that failed with a storage error (a full disk, mostly)', (d) => d.writeErrorsTotal);
    // Replication (cluster mode; a single broker reports 0).
    const replicationGauge = (name: string, help: string, pick: (g: ReplicationGauge) => number): void => this.pulledGauge(name, help, (s) => (s.replication === undefined ? undefined : pick(s.replication)));
    const replicationCounter = (name: string, help: string, pick: (g: ReplicationGauge) => number): void => this.pulledCounter(name, help, (s) => (s.replication === undefined ? undefined : pick(s.replication)));
    replicationGauge('samsa_leader_partitions', 'Partitions this broker leads (writes open)', (g) => g.leaderPartitions);
    replicationGauge('samsa_follower_partitions', 'Partitions this broker follows', (g) => g.followerPartitions);
    replicationGauge('samsa_under_replicated_partitions', 'Led partitions whose ISR is smaller than their replicas (Kafka UnderReplicatedPartitions)', (g) => g.underReplicatedPartitions);
    replicationGauge('samsa_under_min_isr_partitions', 'Led partitions whose ISR is below min.insync.replicas (acks=all refused)', (g) => g.underMinIsrPartitions);
    this.pulledGauge('samsa_offline_partitions_count', 'Partitions of the cluster without a live leader (reported by the controller only; Kafka OfflinePartitionsCount)', (s) => s.replication?.offlinePartitions);
    replicationCounter('samsa_isr_shrinks_total', 'ISR shrinks of partitions this broker leads', (g) => g.isrShrinksTotal);
    replicationCounter('samsa_isr_expands_total', 'ISR expansions of partitions this broker leads', (g) => g.isrExpandsTotal);
    const perPartition = (name: string, help: string, pick: (p: PartitionStat) => number): void => {
      r.register(
        new Gauge({
          name,
          help,
          labelNames: ['topic', 'partition'],
          collect: (g) => {
            g.reset();
            for (const p of snapshot()) g.set({ topic: p.topic, partition: String(p.partition) }, pick(p));
          },
        }),
      );
    };
    perPartition('samsa_log_size_bytes', 'Bytes of all segments of a partition', (p) => p.sizeBytes);
    perPartition('samsa_log_end_offset', 'Log end offset of a partition', (p) => p.logEndOffset);
    perPartition('samsa_log_start_offset', 'Log start offset of a partition', (p) => p.logStartOffset);
    perPartition('samsa_high_watermark', 'High watermark of a partition', (p) => p.highWatermark);
  }

  /** The core's `metricsSnapshot()`, read at scrape time. */
  setSnapshotSource(source: () => SnapshotSource): void {
    this.snapshotSource = source;
  }

  requestCompleted(api: string, apiVersion: number, latencySeconds: number): void {
    this.requests.inc({ api, version: String(apiVersion) });
    this.latency.observe({ api }, latencySeconds);
  }

  bytesIn(count: number): void {
    this.bytesInTotal.inc(undefined, count);
  }

  bytesOut(count: number): void {
    this.bytesOutTotal.inc(undefined, count);
  }

  recordsIn(topic: string, records: number): void {
    if (!this.topicLabels.has(topic) && this.topicLabels.size < TOPIC_LABELS_MAX) this.topicLabels.add(topic);
    this.recordsInTotal.inc({ topic: this.topicLabels.has(topic) ? topic : 'other' }, records);
  }

  messageFormatConversions(api: string, records: number): void {
    this.messageFormatConversionsTotal.inc({ api }, records);
  }

  connectionsChanged(delta: number): void {
    this.connectionsOpen.inc(undefined, delta);
    if (delta > 0) this.connectionsTotal.inc(undefined, delta);
  }

  connectionRejected(reason: string): void {
    this.connectionsRejected.inc({ reason });
  }

  requestTrailingBytes(api: string, bytes: number): void {
    this.requestsWithTrailingBytes.inc({ api });
    this.requestTrailingBytesTotal.inc({ api }, bytes);
  }

  /** The whole /metrics body: the broker's metrics, then the app's extra text. */
  async text(): Promise<string> {
    const own = this.registry.text();
    if (this.#extraText === undefined) return own;
    const extra = await this.#extraText();
    return extra.length === 0 ? own : `${own}\n${extra}`;
  }

  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }
}
