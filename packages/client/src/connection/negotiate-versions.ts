/**
 * negotiateVersions: per API, the version both sides speak — min(client max, broker max) —
 * or nothing when the ranges do not overlap. Pure; the connection asks it once, after its
 * ApiVersions exchange, and keeps the answer for the connection's life.
 */
import { apiByKey } from '@samsa/codec/wire';
import { UnsupportedVersionError } from '../errors.ts';
import type { VersionRange } from './client-api-versions.ts';

export interface BrokerApiVersion {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** apiKey → the version to use. APIs the broker does not list, or with no common version, are absent. */
export function negotiateVersions(client: ReadonlyMap<number, VersionRange>, broker: readonly BrokerApiVersion[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of broker) {
    const c = client.get(b.apiKey);
    if (c === undefined) continue;
    const version = Math.min(c.maxVersion, b.maxVersion);
    if (version >= c.minVersion && version >= b.minVersion) out.set(b.apiKey, version);
  }
  return out;
}

/** The error for an API the negotiation left out, naming both ranges. */
export function unsupportedApiError(apiKey: number, client: VersionRange | undefined, broker: BrokerApiVersion | undefined): UnsupportedVersionError {
  const name = apiByKey.get(apiKey)?.name ?? `api key ${apiKey}`;
  const clientRange = client === undefined ? 'none' : `${client.minVersion}-${client.maxVersion}`;
  const brokerRange = broker === undefined ? 'none' : `${broker.minVersion}-${broker.maxVersion}`;
  return new UnsupportedVersionError(`${name}: no common version (client ${clientRange}, broker ${brokerRange})`);
}
