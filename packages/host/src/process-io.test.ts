// The HostProcess I/O loops: a line is written whole across partial writes, and a broken
// writer cannot loop forever; stdin's end is reported as 'eof', a read error as 'error'.
// Plus the memory gauges a runtime without prom-client appends to /metrics.
import { describe, expect, it } from 'vitest';
import { memoryMetrics } from './metrics/memory-metrics.ts';
import { readUntilEnd, WRITES_PER_LINE_MAX, writeLineSync } from './process-io.ts';

describe('process I/O helpers', () => {
  it('writes a whole line through partial writes, and stops on a writer that writes nothing', () => {
    const out: number[] = [];
    writeLineSync((bytes) => {
      out.push(...bytes.subarray(0, 2));
      return Math.min(2, bytes.byteLength);
    }, 'hello');
    expect(new TextDecoder().decode(new Uint8Array(out))).toBe('hello\n');
    let calls = 0;
    writeLineSync(() => (calls++, 0), 'stuck');
    expect(calls).toBe(WRITES_PER_LINE_MAX);
  });

  it('reads to the end of input, or reports a read error', async () => {
    let reads = 0;
    expect(await readUntilEnd(async () => (++reads < 3 ? 10 : null))).toBe('eof');
    expect(reads).toBe(3);
    expect(await readUntilEnd(() => Promise.reject(new Error('bad fd')))).toBe('error');
  });

  it('renders memory gauges read at scrape time', () => {
    let rss = 100;
    const text = memoryMetrics(() => ({ rss, heapTotal: 50, heapUsed: 40, external: 3 }));
    expect(text()).toContain('samsa_process_process_resident_memory_bytes 100\n');
    rss = 200;
    expect(text()).toMatch(/^samsa_process_process_resident_memory_bytes 200$/m);
    expect(text()).toMatch(/^samsa_process_nodejs_heap_size_used_bytes 40$/m);
  });
});
