/**
 * Helpers shared by the group API handlers (src/handlers/{join-group,...}.ts):
 *   - `callGroups`: create `__consumer_offsets` on first use, then run the request through
 *     the GroupService; a failed topic creation answers COORDINATOR_NOT_AVAILABLE through
 *     the handler's own error body.
 *   - Kafka's group id rule: the membership and commit APIs need a non-empty id
 *     (INVALID_GROUP_ID otherwise); OffsetFetch, DescribeGroups and DeleteGroups accept "".
 *   - `clientHostOf`: the peer as Kafka prints it in DescribeGroups ("/127.0.0.1").
 *   - Bounds on JoinGroup protocols (count and metadata bytes), so one member cannot make
 *     the group's metadata record unwritable.
 */
import { ErrorCode } from '@samsa/codec';
import type { CoordinatorResponse } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupRequestKind, GroupRequests, ResponseOf } from './group-service.ts';

/** Protocols one JoinGroup may offer (a consumer offers one per assignor, usually 1-3). */
export const JOIN_PROTOCOLS_MAX = 64;
/** Bytes of protocol metadata (subscriptions) one member may send, summed over protocols. */
export const MEMBER_METADATA_BYTES_MAX = 256 * 1024;

export async function callGroups<A extends CoordinatorResponse['api'], K extends GroupRequestKind>(
  ctx: BrokerContext,
  api: A,
  kind: K,
  input: GroupRequests[K],
  fail: (errorCode: number) => ResponseOf<A>,
): Promise<ResponseOf<A>> {
  const ensured = await ctx.groups.ensureTopic();
  if (ensured !== ErrorCode.NONE) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const r = await ctx.groups.request(kind, input);
  if (r.api !== api) throw new Error(`group coordinator answered ${r.api} to a ${api} request`);
  return r.body as ResponseOf<A>;
}

export function clientHostOf(peer: string): string {
  const i = peer.lastIndexOf(':');
  return `/${i > 0 ? peer.slice(0, i) : peer}`;
}

/** Whether a JoinGroup's protocols stay within the bounds above. */
export function protocolsWithinBounds(protocols: readonly { metadata: Uint8Array }[]): boolean {
  if (protocols.length > JOIN_PROTOCOLS_MAX) return false;
  let bytes = 0;
  for (const p of protocols) bytes += p.metadata.byteLength;
  return bytes <= MEMBER_METADATA_BYTES_MAX;
}
