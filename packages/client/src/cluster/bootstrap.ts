/**
 * parseBootstrap: `host:port` strings (Kafka's bootstrap.servers entries) to addresses.
 * IPv6 hosts are written in brackets (`[::1]:9092`). Bounded: at most
 * BOOTSTRAP_ADDRESSES_MAX entries. Bad input is a programmer error (TypeError/RangeError).
 */

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export const BOOTSTRAP_ADDRESSES_MAX = 1024;

export function parseBootstrap(entries: readonly string[]): BrokerAddress[] {
  if (entries.length === 0) throw new RangeError('bootstrap: at least one host:port is needed');
  if (entries.length > BOOTSTRAP_ADDRESSES_MAX) throw new RangeError(`bootstrap: more than ${BOOTSTRAP_ADDRESSES_MAX} addresses`);
  return entries.map(parseAddress);
}

export function parseAddress(entry: string): BrokerAddress {
  const text = entry.trim();
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new TypeError(`bootstrap: "${entry}" is not host:port`);
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !(port >= 1 && port <= 65535)) throw new RangeError(`bootstrap: bad port in "${entry}"`);
  if (host.length === 0) throw new TypeError(`bootstrap: empty host in "${entry}"`);
  return { host, port };
}
