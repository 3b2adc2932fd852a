/**
 * Reads a running etcd from the outside, for the cluster suites and benches: a prefix range
 * through the v3 JSON gateway, which member leads (maintenance status), and the request
 * counters of `/metrics`. The harness checks the cluster with these (who is registered, who
 * holds the controller key) without going through any broker.
 *
 * Every request has its own timeout; a read tries each endpoint in turn (a member that is
 * down or without quorum is skipped), so reads keep working while one member of three is
 * killed. Values are decoded as UTF-8 text (the cluster's records are JSON).
 */

const REQUEST_TIMEOUT_MS = 3000;
/** A prefix range returns at most this many keys (a test cluster has far fewer). */
const RANGE_KEYS_MAX = 100_000;

export interface EtcdEntry {
  readonly key: string;
  /** The value as UTF-8 text. */
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  /** The lease id ('0' when none). */
  readonly lease: string;
}

export interface EtcdRange {
  readonly entries: readonly EtcdEntry[];
  readonly revision: number;
}

interface JsonKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

/** The key just past every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i] = bytes[i]! + 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

async function post(endpoint: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${endpoint}${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

/** Tries `endpoints` in order; the first answer wins, else the last error is thrown. */
async function firstAnswer<T>(endpoints: readonly string[], call: (endpoint: string) => Promise<T>): Promise<T> {
  let last: unknown = new Error('no etcd endpoints');
  for (const endpoint of endpoints) {
    try {
      return await call(endpoint);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** Every key under `prefix` with its value, in key order (a linearizable read). */
export async function etcdRange(endpoints: readonly string[], prefix: string): Promise<EtcdRange> {
  return firstAnswer(endpoints, async (endpoint) => {
    const json = (await post(endpoint, '/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix), limit: String(RANGE_KEYS_MAX) })) as { kvs?: JsonKv[]; header?: { revision?: string } };
    const entries = (json.kvs ?? []).map((kv) => ({
      key: unb64(kv.key),
      value: unb64(kv.value),
      createRevision: Number(kv.create_revision ?? 0),
      modRevision: Number(kv.mod_revision ?? 0),
      lease: kv.lease ?? '0',
    }));
    return { entries, revision: Number(json.header?.revision ?? 0) };
  });
}

/** Writes one key (a test seeding records the way the controller would). */
export async function etcdPut(endpoints: readonly string[], key: string, value: string): Promise<void> {
  await firstAnswer(endpoints, (endpoint) => post(endpoint, '/v3/kv/put', { key: b64(key), value: b64(value) }));
}

/**
 * The index (into `endpoints`) of the member that is the raft leader, or -1 when no member
 * answering knows one. Each member's status names its own id and the leader's id.
 */
export async function etcdLeaderIndex(endpoints: readonly string[]): Promise<number> {
  const statuses = await Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        const json = (await post(endpoint, '/v3/maintenance/status', {})) as { header?: { member_id?: string }; leader?: string };
        return { self: json.header?.member_id ?? '', leader: json.leader ?? '' };
      } catch {
        return null;
      }
    }),
  );
  const leaderId = statuses.find((s) => s !== null && s.leader !== '' && s.leader !== '0')?.leader;
  if (leaderId === undefined) return -1;
  return statuses.findIndex((s) => s !== null && s.self === leaderId);
}

/**
 * The gRPC messages a member received so far, by method (`Range`, `Txn`, `LeaseKeepAlive`,
 * `Watch`, …), from `grpc_server_msg_received_total` on its `/metrics`. The JSON gateway
 * forwards every HTTP request to the member's gRPC server, so this counts gateway requests
 * too; unlike `grpc_server_handled_total` it also counts each message of a stream (one
 * keepalive per message of a LeaseKeepAlive stream), not only finished streams.
 */
export async function etcdReceivedByMethod(endpoint: string): Promise<Map<string, number>> {
  const response = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`etcd ${endpoint}/metrics: HTTP ${response.status}`);
  return parseReceivedByMethod(await response.text());
}

/** Sums `grpc_server_msg_received_total` samples of a Prometheus text page by grpc_method. */
export function parseReceivedByMethod(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('grpc_server_msg_received_total{')) continue;
    const method = /grpc_method="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (method === undefined || !Number.isFinite(value)) continue;
    counts.set(method, (counts.get(method) ?? 0) + value);
  }
  return counts;
}
