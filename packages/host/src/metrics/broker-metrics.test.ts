// BrokerMetrics on the host's Prometheus registry: the names and lines the prom-client
// version printed (pushed counters, the latency histogram, pulled partition, group and disk
// gauges), the topic label cap, and the disk state in /healthz through the admin handler.
import { describe, expect, it } from 'vitest';
import { createAdminHandler } from '../admin-handler.ts';
import { BrokerMetrics, TOPIC_LABELS_MAX } from './broker-metrics.ts';

describe('BrokerMetrics and the admin handler', () => {
  it('exposes pushed counters, the latency histogram and pulled partition gauges', async () => {
    const m = new BrokerMetrics();
    m.requestCompleted('Produce', 9, 0.002);
    m.requestCompleted('Produce', 9, 0.004);
    m.bytesIn(100);
    m.bytesOut(40);
    m.recordsIn('t', 5);
    m.connectionsChanged(1);
    m.connectionsChanged(1);
    m.connectionsChanged(-1);
    m.connectionRejected('frame-too-large');
    m.requestTrailingBytes('Metadata', 3);
    m.requestTrailingBytes('Metadata', 3);
    m.setSnapshotSource(() => ({
      topics: 1,
      partitions: [{ topic: 't', partition: 0, sizeBytes: 1234, logStartOffset: 2, logEndOffset: 9, highWatermark: 9 }],
      groups: { byState: { Stable: 2, Empty: 1, Dead: 0 }, rebalancesTotal: 5, offsetCommitsTotal: 1200, offsetsExpiredTotal: 3, membersExpiredTotal: 4, pendingSyncMembersRemovedTotal: 6 },
    }));
    const text = await m.text();
    expect(text).toContain('samsa_requests_total{api="Produce",version="9"} 2');
    expect(text).toContain('samsa_request_latency_seconds_count{api="Produce"} 2');
    expect(text).toContain('samsa_request_latency_seconds_bucket{le="0.0025",api="Produce"} 1');
    expect(text).toContain('samsa_bytes_in_total 100');
    expect(text).toContain('samsa_bytes_out_total 40');
    expect(text).toContain('samsa_records_in_total{topic="t"} 5');
    expect(text).toContain('samsa_connections 1');
    expect(text).toContain('samsa_connections_accepted_total 2');
    expect(text).toContain('samsa_connections_rejected_total{reason="frame-too-large"} 1');
    expect(text).toContain('samsa_requests_with_trailing_bytes_total{api="Metadata"} 2');
    expect(text).toContain('samsa_request_trailing_bytes_total{api="Metadata"} 6');
    expect(text).toContain('samsa_partitions 1');
    expect(text).toContain('samsa_log_size_bytes{topic="t",partition="0"} 1234');
    expect(text).toContain('samsa_log_end_offset{topic="t",partition="0"} 9');
    expect(text).toContain('samsa_log_start_offset{topic="t",partition="0"} 2');
    expect(text).toContain('samsa_consumer_groups{state="Stable"} 2');
    expect(text).toContain('samsa_consumer_groups{state="Empty"} 1');
    expect(text).toContain('samsa_consumer_groups{state="Dead"} 0');
    expect(text).toContain('samsa_group_rebalances_total 5');
    expect(text).toContain('samsa_group_offset_commits_total 1200');
    expect(text).toContain('samsa_group_offsets_expired_total 3');
    expect(text).toContain('samsa_group_members_expired_total 4');
    expect(text).toContain('samsa_group_pending_sync_members_removed_total 6');
  });

  it('group counters follow the source at every scrape (copied, not accumulated)', async () => {
    const m = new BrokerMetrics();
    let commits = 10;
    m.setSnapshotSource(() => ({ topics: 0, partitions: [], groups: { byState: { Stable: 1 }, rebalancesTotal: 1, offsetCommitsTotal: commits, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 } }));
    expect(await m.text()).toContain('samsa_group_offset_commits_total 10');
    commits = 25;
    expect(await m.text()).toContain('samsa_group_offset_commits_total 25');
  });

  it('folds topics past the label cap into "other"', async () => {
    const m = new BrokerMetrics();
    for (let i = 0; i <= TOPIC_LABELS_MAX; i++) m.recordsIn(`topic-${i}`, 1);
    const text = await m.text();
    expect(text).toContain(`samsa_records_in_total{topic="topic-${TOPIC_LABELS_MAX - 1}"} 1`);
    expect(text).toContain('samsa_records_in_total{topic="other"} 1');
  });

  it('exposes the replication gauges of a cluster broker (0 on a single broker)', async () => {
    const metrics = new BrokerMetrics();
    const groups = { byState: {}, rebalancesTotal: 0, offsetCommitsTotal: 0, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 };
    metrics.setSnapshotSource(() => ({ topics: 0, partitions: [], groups }));
    expect(await metrics.text()).toMatch(/^samsa_under_replicated_partitions 0$/m); // a single broker: nothing to replicate
    const replication = { leaderPartitions: 4, followerPartitions: 8, underReplicatedPartitions: 2, underMinIsrPartitions: 1, isrShrinksTotal: 3, isrExpandsTotal: 5 };
    metrics.setSnapshotSource(() => ({ topics: 0, partitions: [], groups, replication }));
    const text = await metrics.text();
    for (const line of ['samsa_leader_partitions 4', 'samsa_follower_partitions 8', 'samsa_under_replicated_partitions 2', 'samsa_under_min_isr_partitions 1', 'samsa_isr_shrinks_total 3', 'samsa_isr_expands_total 5']) expect(text).toContain(line);
  });

  it('exposes the log dir\'s free space, the low-disk threshold and refusal state in /metrics and /healthz', async () => {
    const metrics = new BrokerMetrics();
    const groups = { byState: {}, rebalancesTotal: 0, offsetCommitsTotal: 0, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 };
    let disk = { freeBytes: 300_000, totalBytes: 16_777_216, freeBytesMin: 838_860, writesRefused: true, writesRefusedTotal: 7, writeErrorsTotal: 2, offlinePartitions: 1 };
    metrics.setSnapshotSource(() => ({ topics: 0, partitions: [], groups, disk }));
    const text = await metrics.text();
    expect(text).toContain('samsa_log_dir_free_bytes 300000');
    expect(text).toContain('samsa_log_dir_total_bytes 16777216');
    expect(text).toContain('samsa_log_dir_free_bytes_min 838860');
    expect(text).toContain('samsa_log_dir_writes_refused 1');
    expect(text).toContain('samsa_log_dir_writes_refused_total 7');
    expect(text).toContain('samsa_log_dir_write_errors_total 2');
    expect(text).toContain('samsa_offline_partitions 1');
    const admin = createAdminHandler({ metrics, isHealthy: () => true, disk: () => disk });
    const low = await admin(new Request('http://127.0.0.1:9644/healthz'));
    expect([low.status, low.headers.get('x-samsa-writes-refused')]).toEqual([200, 'true']);
    expect(await low.text()).toBe('ok\ndisk: low, produce and topic creation refused: 300000 bytes free of 16777216, min 838860, 1 partition(s) offline after storage errors\n');
    disk = { ...disk, freeBytes: 5_000_000, writesRefused: false, offlinePartitions: 0 };
    const ok = await admin(new Request('http://127.0.0.1:9644/healthz'));
    expect([ok.status, ok.headers.get('x-samsa-writes-refused'), await ok.text()]).toEqual([200, 'false', 'ok\ndisk: ok, 5000000 bytes free of 16777216, min 838860\n']);
    // Free space unknown (Deno without --allow-sys=statfs): NaN.
    disk = { ...disk, freeBytes: null as unknown as number, totalBytes: null as unknown as number, freeBytesMin: 0 };
    expect(await metrics.text()).toMatch(/^samsa_log_dir_free_bytes nan$/im);
  });
});
