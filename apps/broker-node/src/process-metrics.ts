/**
 * Node's process metrics (`samsa_process_*`: CPU, memory, event-loop lag, GC, handles),
 * from prom-client's default collectors, appended to the host's /metrics. prom-client
 * stays a Node-only dependency of this app; the broker's own metrics are the host's.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function nodeProcessMetrics(): () => Promise<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'samsa_process_' });
  return () => registry.metrics();
}
