/**
 * `samsa cluster --metadata etcd://host:port[,host:port…]`: reads the cluster straight from
 * its metadata store, without any broker: one `range` of `/samsa/<cluster-id>/` through the
 * etcd JSON gateway (EtcdMetadataStore, failing over between the endpoints), loaded into a
 * ClusterImage and snapshotted as a ClusterView, exactly as a broker builds its own view.
 * So it works while every broker is down, and shows what the brokers will converge to.
 *
 * A malformed URL is a usage error (exit 2); etcd unreachable is a runtime failure (exit 1)
 * naming the endpoints.
 */
import { viewFromImage } from '@samsa/broker';
import { ClusterImage, ClusterKeys, EtcdMetadataStore, MetadataStoreError } from '@samsa/coordinator';
import { CliError, ExitCode } from '@samsa/host/cli';
import { createRandom, randomSeed, systemClock } from '@samsa/runtime';
import { statusFromView } from './cluster-status.ts';
import type { ClusterStatus } from './cluster-status.ts';

const SCHEME = 'etcd://';
const ENDPOINTS_MAX = 16;
const REQUEST_TIMEOUT_MS = 5000;

/** `etcd://h1:p1,h2:p2` → `['http://h1:p1', 'http://h2:p2']`. */
export function parseMetadataUrl(text: string): string[] {
  const fail = (why: string): never => {
    throw new CliError(`--metadata expects etcd://host:port[,host:port...] (${why}: "${text}")`, ExitCode.usage);
  };
  if (!text.startsWith(SCHEME)) fail('it must start with etcd://');
  const parts = text.slice(SCHEME.length).split(',').map((p) => p.trim());
  if (parts.length > ENDPOINTS_MAX) fail(`at most ${ENDPOINTS_MAX} endpoints`);
  return parts.map((part) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) return fail(`"${part}" is not host:port`);
    return `http://${m[1]}:${m[2]}`;
  });
}

export async function readClusterFromEtcd(endpoints: readonly string[], clusterId: string): Promise<ClusterStatus> {
  let keys: ClusterKeys;
  try {
    keys = new ClusterKeys(clusterId);
  } catch {
    throw new CliError(`--cluster-id "${clusterId}" is not a cluster id ([a-zA-Z0-9._-], at most 64 chars)`, ExitCode.usage);
  }
  const store = new EtcdMetadataStore({ endpoints, clock: systemClock, random: createRandom(randomSeed()), requestTimeoutMs: REQUEST_TIMEOUT_MS });
  try {
    const range = await store.range(keys.root);
    const image = new ClusterImage(keys);
    image.load(range.kvs, range.revision);
    return statusFromView(viewFromImage(image, clusterId), endpoints.join(','));
  } catch (error) {
    if (error instanceof MetadataStoreError) throw new CliError(`cannot read the cluster from etcd at ${endpoints.join(', ')}: ${error.message}`, ExitCode.failure);
    throw error;
  } finally {
    await store.close();
  }
}
