/**
 * After the controller acknowledged an admin change, the handler that asked waits until this
 * broker's own view shows it, so a client that asks this broker's Metadata (or
 * DescribeConfigs) right after the answer sees the change.
 *
 * `waitForView` is event-driven (ClusterLink.onView), not polled; it is bounded by a timer
 * on the broker's Clock and resolves false at the deadline (never rejects). All waits of
 * one broker share one view listener, and at most VIEW_WAITERS_MAX wait at once; shutdown
 * ends them all (`endViewWaits`), so a CreateTopics waiting for its view never holds a
 * broker's shutdown for its timeout.
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

/** Handlers waiting for their view at once, per broker (past it a handler answers without waiting). */
export const VIEW_WAITERS_MAX = 10_000;

interface ViewWaiter {
  readonly shows: (view: ClusterView) => boolean;
  finish(shown: boolean): void;
}

/**
 * One onView listener per link serves every waiting handler (the link bounds its
 * listeners to a few; a burst of CreateTopics must not use them up). Created on the first
 * wait, dropped when the last waiter is gone.
 */
interface ViewWaiters {
  readonly waiters: Set<ViewWaiter>;
  readonly unsubscribe: () => void;
}

const byLink = new WeakMap<ClusterLink, ViewWaiters>();

/**
 * Resolves true once `shows(view)` holds for the link's view, false after `timeoutMs`, when
 * `VIEW_WAITERS_MAX` handlers already wait, or when `endViewWaits` is called (shutdown).
 */
export function waitForView(link: ClusterLink, clock: Clock, shows: (view: ClusterView) => boolean, timeoutMs: number): Promise<boolean> {
  if (shows(link.view())) return Promise.resolve(true);
  if (timeoutMs <= 0) return Promise.resolve(false);
  let entry = byLink.get(link);
  if (entry !== undefined && entry.waiters.size >= VIEW_WAITERS_MAX) return Promise.resolve(false);
  if (entry === undefined) {
    const waiters = new Set<ViewWaiter>();
    const unsubscribe = link.onView((view) => {
      for (const w of [...waiters]) if (w.shows(view)) w.finish(true);
    });
    entry = { waiters, unsubscribe };
    byLink.set(link, entry);
  }
  const { waiters } = entry;
  return new Promise<boolean>((resolve) => {
    const waiter: ViewWaiter = {
      shows,
      finish: (shown) => {
        if (!waiters.delete(waiter)) return;
        timer.cancel();
        if (waiters.size === 0 && byLink.get(link)?.waiters === waiters) {
          byLink.delete(link);
          entry!.unsubscribe();
        }
        resolve(shown);
      },
    };
    const timer = clock.setTimeout(() => waiter.finish(false), timeoutMs);
    waiters.add(waiter);
    // A view published between the first check and the subscription.
    if (shows(link.view())) waiter.finish(true);
  });
}

/** Ends every wait on `link` now (false): the broker is shutting down and answers at once. */
export function endViewWaits(link: ClusterLink): void {
  const entry = byLink.get(link);
  if (entry === undefined) return;
  for (const w of [...entry.waiters]) w.finish(false);
}

/** The message of a change the controller made that this broker has not seen in time. */
export function notSeenMessage(what: string, waitedMs: number): string {
  return `The controller made the change (${what}) but this broker's metadata did not show it within ${waitedMs} ms; it will.`;
}
