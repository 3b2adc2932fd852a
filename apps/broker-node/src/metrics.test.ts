import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer } from './admin-server.ts';
import type { AdminServer } from './admin-server.ts';
import { BrokerMetrics, TOPIC_LABELS_MAX } from './metrics.ts';

describe('BrokerMetrics (prom-client) and the admin server', () => {
  let admin: AdminServer | null = null;
  afterEach(async () => {
    await admin?.close();
    admin = null;
  });

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

  it('serves /metrics, /healthz (503 once unhealthy) and 404 elsewhere', async () => {
    const metrics = new BrokerMetrics();
    let healthy = true;
    admin = await startAdminServer({ host: '127.0.0.1', port: 0, metrics, isHealthy: () => healthy });
    const base = `http://127.0.0.1:${admin.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('samsa_connections');
    healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
