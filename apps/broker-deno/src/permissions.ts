/**
 * The minimal Deno permissions of one broker, computed from its resolved config: net on
 * the listener (and admin) host:port and, in a cluster (metadata.store=etcd), on each etcd
 * endpoint's host:port, read on the data dirs and the --config file, write
 * on the data dirs, plus the fixed env/sys grants the npm packages need when they load
 * (see README.md, "Permissions"). `main.ts --print-permissions` prints them for the
 * launcher (bin/start.mjs), which then runs the broker with exactly these.
 */
import { resolve } from 'node:path';
import type { ServerConfig } from '@samsa/broker';

/** Read by pino (thread-stream), msgpackr (via @samsa/codec) and the --log-level default. */
export const ENV_NAMES = ['SAMSA_LOG_LEVEL', 'NODE_V8_COVERAGE', 'MSGPACKR_NATIVE_ACCELERATION_DISABLED'] as const;
/** pino calls os.hostname() when it loads; statfs gives the log dir's free space (low-disk protection). */
export const SYS_NAMES = ['hostname', 'statfs'] as const;

export interface BrokerPermissions {
  readonly net: readonly string[];
  readonly read: readonly string[];
  readonly write: readonly string[];
}

function hostPort(host: string, port: number): string {
  const h = host === '' ? '0.0.0.0' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === 0 ? h : `${h}:${port}`;
}

export function brokerPermissions(config: ServerConfig, options: { readonly configPath?: string; readonly adminPort?: number }): BrokerPermissions {
  const listener = config.listeners[0]!;
  const net = [hostPort(listener.host, listener.port)];
  if (options.adminPort !== undefined) {
    const adminHost = listener.host === '' || listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host;
    net.push(hostPort(adminHost, options.adminPort));
  }
  if (config.values.get('metadata.store') === 'etcd') {
    for (const url of (config.values.get('etcd.endpoints') ?? []) as readonly string[]) net.push(new URL(url).host);
  }
  const dirs = [...config.logDirs];
  const read = options.configPath !== undefined ? [...dirs, resolve(options.configPath)] : dirs;
  return { net, read, write: dirs };
}

/** `deno run` flags granting exactly `p`. */
export function permissionFlags(p: BrokerPermissions): string[] {
  return [
    `--allow-net=${p.net.join(',')}`,
    `--allow-read=${p.read.join(',')}`,
    `--allow-write=${p.write.join(',')}`,
    `--allow-env=${ENV_NAMES.join(',')}`,
    `--allow-sys=${SYS_NAMES.join(',')}`,
  ];
}
