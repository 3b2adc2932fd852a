/**
 * After the controller acknowledged an admin change, the handler that asked waits until this
 * broker's own view shows it, so a client that asks this broker's Metadata (or
 * DescribeConfigs) right after the answer sees the change.
 *
 * `waitForView` is event-driven (ClusterLink.onView), not polled; it is bounded by a timer
 * on the broker's Clock and resolves false at the deadline (never rejects). The listener is
 * removed once it resolves either way.
 */
import type { Clock } from '@samsa/runtime';
import type { ClusterLink } from './cluster-link.ts';
import type { ClusterView } from './cluster-view.ts';
import { isForwardedRequest } from './controller-client.ts';

/** The wait when the request carries no timeout of its own (AlterConfigs, ControlledShutdown). */
export const VIEW_WAIT_MS_DEFAULT = 30_000;
/** The longest a handler waits for its view, whatever timeout the client asked for. */
export const VIEW_WAIT_MS_MAX = 120_000;

/**
 * The wait for a request's `timeoutMs` (≤ 0: do not wait, as Kafka answers at once then).
 * A forwarded request (clientId `samsa-forward-*`) is answered without waiting: the
 * forwarding broker waits for its own view, which is the one its client reads.
 */
export function viewWaitMs(info: { readonly clientId: string | null }, requestTimeoutMs: number): number {
  if (isForwardedRequest(info.clientId)) return 0;
  return Math.min(Math.max(0, requestTimeoutMs), VIEW_WAIT_MS_MAX);
}

/** Resolves true once `shows(view)` holds for the link's view, false after `timeoutMs`. */
export function waitForView(link: ClusterLink, clock: Clock, shows: (view: ClusterView) => boolean, timeoutMs: number): Promise<boolean> {
  if (shows(link.view())) return Promise.resolve(true);
  if (timeoutMs <= 0) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const finish = (shown: boolean): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      unsubscribe();
      resolve(shown);
    };
    const timer = clock.setTimeout(() => finish(false), timeoutMs);
    const unsubscribe = link.onView((view) => {
      if (shows(view)) finish(true);
    });
    // A view published between the first check and the subscription.
    if (shows(link.view())) finish(true);
  });
}

/** The message of a change the controller made that this broker has not seen in time. */
export function notSeenMessage(what: string, waitedMs: number): string {
  return `The controller made the change (${what}) but this broker's metadata did not show it within ${waitedMs} ms; it will.`;
}
