/**
 * cluster-idle-etcd (issue 13 figure): the requests an idle three-broker cluster sends etcd,
 * per second and by gRPC method, from etcd's own counters (`grpc_server_msg_received_total`
 * on its /metrics; the JSON gateway forwards every HTTP request to the gRPC server, and
 * each keepalive is one message). Expected: lease keepalives only, at 3 × (1000 /
 * broker.heartbeat.interval.ms) per second. Baseline from the same run: the same etcd with
 * no broker, over IDLE_BENCH_BASELINE_S seconds (what etcd counts on its own).
 *
 *   npm run bench -- cluster-idle-etcd
 *
 * Env: IDLE_BENCH_SECONDS (default 30), IDLE_BENCH_BASELINE_S (default 10),
 * IDLE_BENCH_SETTLE_S (default 5: after the registrations, before counting, so the start-up
 * reads and the controller's first writes are not counted), IDLE_BENCH_HEARTBEAT_MS
 * (broker.heartbeat.interval.ms, default 1000), IDLE_BENCH_SESSION_MS (default 9000, the
 * broker default).
 */
import { etcdReceivedByMethod, sleep, startCluster, startEtcd } from '@samsa/bench';

const IDLE_S = Number(process.env.IDLE_BENCH_SECONDS ?? 30);
const BASELINE_S = Number(process.env.IDLE_BENCH_BASELINE_S ?? 10);
const SETTLE_S = Number(process.env.IDLE_BENCH_SETTLE_S ?? 5);
const HEARTBEAT_MS = Number(process.env.IDLE_BENCH_HEARTBEAT_MS ?? 1000);
const SESSION_MS = Number(process.env.IDLE_BENCH_SESSION_MS ?? 9000);
const BROKERS = 3;

/** Per-method messages received over `seconds` by the member at `endpoint`, per second. */
async function ratesOver(endpoint: string, seconds: number): Promise<Map<string, number>> {
  const before = await etcdReceivedByMethod(endpoint);
  const start = performance.now();
  await sleep(seconds * 1000);
  const after = await etcdReceivedByMethod(endpoint);
  const elapsedS = (performance.now() - start) / 1000;
  const rates = new Map<string, number>();
  for (const [method, count] of after) {
    const delta = count - (before.get(method) ?? 0);
    if (delta > 0) rates.set(method, delta / elapsedS);
  }
  return rates;
}

function print(what: string, rates: Map<string, number>): number {
  const total = [...rates.values()].reduce((a, b) => a + b, 0);
  console.log(`${what}: ${total.toFixed(2)} requests/s`);
  for (const [method, rate] of [...rates.entries()].sort((a, b) => b[1] - a[1])) console.log(`    ${method.padEnd(24)} ${rate.toFixed(2)}/s`);
  return total;
}

async function main(): Promise<void> {
  console.log(`cluster-idle-etcd: ${BROKERS} idle Node brokers, broker.heartbeat.interval.ms=${HEARTBEAT_MS}, broker.session.timeout.ms=${SESSION_MS}`);
  const alone = await startEtcd(1);
  let baseline: Map<string, number>;
  try {
    baseline = await ratesOver(alone.endpoints[0]!, BASELINE_S);
  } finally {
    await alone.stop();
  }
  const cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: HEARTBEAT_MS });
  let idle: Map<string, number>;
  try {
    await sleep(SETTLE_S * 1000);
    idle = await ratesOver(cluster.etcd.endpoints[0]!, IDLE_S);
  } finally {
    await cluster.stop();
  }
  print(`baseline: etcd alone, ${BASELINE_S} s`, baseline);
  const total = print(`idle cluster, ${IDLE_S} s`, idle);
  const keepalives = idle.get('LeaseKeepAlive') ?? 0;
  const others = total - keepalives;
  const expected = BROKERS * (1000 / HEARTBEAT_MS);
  console.log(`keepalives ${keepalives.toFixed(2)}/s (expected ${expected.toFixed(2)}/s: one lease per broker; more if the controller keeps a lease of its own); other requests ${others.toFixed(2)}/s: ${others < 0.05 ? 'keepalives only' : 'NOT keepalives only'}`);
}

await main();
