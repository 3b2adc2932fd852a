/**
 * The versions of each Kafka API this client speaks: [min, max], inclusive.
 *
 * The max is the newest version the generated codec encodes; the min is the oldest whose
 * semantics the client implements (Produce v3 is the first to carry record batch v2, which
 * is all the producer writes; Metadata v1 the first with a controller and rack;
 * InitProducerId v0 is enough for an idempotent producer, v3+ lets it ask for a bump).
 * Negotiation (`negotiateVersions`) picks min(client max, broker max) per API.
 */
import {
  ApiVersionsRequestCodec,
  InitProducerIdRequestCodec,
  MetadataRequestCodec,
  ProduceRequestCodec,
} from '@samsa/codec/wire';

export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

function range(maxFromCodec: readonly [number, number], minVersion: number): VersionRange {
  return { minVersion, maxVersion: maxFromCodec[1] };
}

/** Keyed by Kafka API key, named through the codecs' metadata. */
export const CLIENT_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiVersionsRequestCodec.meta.apiKey, range(ApiVersionsRequestCodec.meta.validVersions, 0)],
  [MetadataRequestCodec.meta.apiKey, range(MetadataRequestCodec.meta.validVersions, 1)],
  [ProduceRequestCodec.meta.apiKey, range(ProduceRequestCodec.meta.validVersions, 3)],
  [InitProducerIdRequestCodec.meta.apiKey, range(InitProducerIdRequestCodec.meta.validVersions, 0)],
]);
