/**
 * OffsetFetch (key 9), versions 0-9.
 *
 * Committed offsets of one group (v0-v7) or of several groups at once (v8, `groups`).
 * A partition with no committed offset answers offset -1, metadata "". `topics: null`
 * (v2+) asks for every partition the group has an offset for. v2+ carry a top-level error
 * (e.g. COORDINATOR_LOAD_IN_PROGRESS); v0-v1 have none, so a group error goes on every
 * requested partition instead, as Kafka does. v7+ `requireStable` is accepted (there are no
 * pending transactional offsets to wait for). v8+ answers per group, in request order.
 * v9's member id and member epoch (KIP-848) are checked only by consumer-protocol groups
 * (STALE_MEMBER_EPOCH / UNKNOWN_MEMBER_ID); classic groups ignore them, as Kafka's
 * ClassicGroup does.
 * The version rules are @samsa/coordinator's `offsetFetchInputs` / `offsetFetchResponseFor`.
 */
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '@samsa/codec';
import type { OffsetFetchRequest, OffsetFetchResponse, OffsetFetchResponseOffsetFetchResponseGroup } from '@samsa/codec';
import { offsetFetchInputs, offsetFetchResponseFor } from '@samsa/coordinator';
import type { OffsetFetchInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

type GroupResult = OffsetFetchResponseOffsetFetchResponseGroup;

function fetchGroup(ctx: BrokerContext, input: OffsetFetchInput): Promise<GroupResult> {
  const fail = (errorCode: number): GroupResult => ({ groupId: input.groupId, topics: [], errorCode });
  return callGroups(ctx, 'OffsetFetch', 'offsetFetch', input, fail);
}

async function handleOffsetFetch(ctx: BrokerContext, req: OffsetFetchRequest, info: RequestInfo): Promise<OffsetFetchResponse> {
  const inputs = offsetFetchInputs(req, info.apiVersion);
  const groups = await Promise.all(inputs.map((input) => fetchGroup(ctx, input)));
  return offsetFetchResponseFor(groups, inputs, info.apiVersion);
}

export const offsetFetchHandler = defineHandler({
  apiKey: OffsetFetchRequestCodec.meta.apiKey,
  name: OffsetFetchRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetFetchRequestCodec,
  response: OffsetFetchResponseCodec,
  handle: handleOffsetFetch,
});
