/**
 * perCoordinator: one round of a group API — find each pending group's coordinator
 * (FindCoordinator, cached in AdminRouting), send one request per coordinator with its
 * groups, and answer every group. A failed lookup or request answers the groups it
 * concerned with its error; a group answered with a retriable error (NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, a lost connection) has its
 * coordinator forgotten, so the next round (Retrier.settleEach) looks it up again.
 */
import { KafkaClientError } from '../errors.ts';
import type { AdminContext } from './admin-context.ts';
import { groupBy } from './admin-context.ts';
import { failed, shouldRetry } from './retry.ts';
import type { ItemOutcome } from './retry.ts';

export async function perCoordinator<R>(
  ctx: AdminContext,
  groupIds: readonly string[],
  signal: AbortSignal | undefined,
  send: (nodeId: number, groupIds: readonly string[]) => Promise<Map<string, ItemOutcome<R>>>,
): Promise<Map<string, ItemOutcome<R>>> {
  const out = new Map<string, ItemOutcome<R>>();
  const located: { groupId: string; nodeId: number }[] = [];
  await Promise.all(
    groupIds.map(async (groupId) => {
      try {
        located.push({ groupId, nodeId: await ctx.routing.coordinator(groupId, signal) });
      } catch (error) {
        if (!(error instanceof KafkaClientError)) throw error;
        out.set(groupId, failed(error));
      }
    }),
  );
  await Promise.all(
    [...groupBy(located, (l) => l.nodeId)].map(async ([nodeId, list]) => {
      const ids = list.map((l) => l.groupId);
      try {
        for (const [k, v] of await send(nodeId, ids)) out.set(k, v);
      } catch (error) {
        if (!(error instanceof KafkaClientError)) throw error;
        for (const id of ids) out.set(id, failed(error));
      }
    }),
  );
  for (const [groupId, outcome] of out) if (!outcome.ok && shouldRetry(outcome.error)) ctx.routing.forgetCoordinator(groupId);
  return out;
}

/** One group's call, retried as a whole, its coordinator forgotten before each retry. */
export function atCoordinator<T>(ctx: AdminContext, groupId: string, signal: AbortSignal | undefined, attempt: (nodeId: number) => Promise<T>): Promise<T> {
  return ctx.retrier.retrying(async () => attempt(await ctx.routing.coordinator(groupId, signal)), signal, { onRetriable: () => ctx.routing.forgetCoordinator(groupId) });
}
