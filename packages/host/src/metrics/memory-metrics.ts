/**
 * Process memory gauges for a runtime without prom-client (Deno): resident set and V8 heap,
 * read at scrape time from the app's reader (Deno's memory usage), under the names prom-client
 * gives the same readings on Node (`samsa_process_process_resident_memory_bytes`,
 * `samsa_process_nodejs_heap_size_{total,used}_bytes`,
 * `samsa_process_nodejs_external_memory_bytes`), so one dashboard serves both.
 * Returns an `extraText` source for BrokerMetrics.
 */
import { Gauge, MetricRegistry } from './prometheus-registry.ts';

export interface MemoryUsage {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

export function memoryMetrics(read: () => MemoryUsage): () => string {
  const registry = new MetricRegistry();
  const gauge = (name: string, help: string, pick: (m: MemoryUsage) => number): void => {
    registry.register(new Gauge({ name, help, collect: (g) => g.set(undefined, pick(read())) }));
  };
  gauge('samsa_process_process_resident_memory_bytes', 'Resident memory size in bytes.', (m) => m.rss);
  gauge('samsa_process_nodejs_heap_size_total_bytes', 'Process heap size in bytes (V8).', (m) => m.heapTotal);
  gauge('samsa_process_nodejs_heap_size_used_bytes', 'Process heap size used in bytes (V8).', (m) => m.heapUsed);
  gauge('samsa_process_nodejs_external_memory_bytes', 'External memory size in bytes (V8).', (m) => m.external);
  return () => registry.text();
}
