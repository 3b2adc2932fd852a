// The host's Prometheus text exposition: HELP/TYPE lines, a value for unlabelled metrics
// before any update, labelled series in insertion order with escaped values, cumulative
// histogram buckets with `le` first, collect hooks run at every render, non-finite values,
// the per-metric series bound, duplicate names refused.
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, MetricRegistry, SERIES_MAX } from './prometheus-registry.ts';

describe('MetricRegistry (Prometheus text format)', () => {
  it('renders counters and gauges as prom-client did', () => {
    const r = new MetricRegistry();
    const plain = r.register(new Counter({ name: 'a_total', help: 'plain\\counter\nhelp' }));
    const labelled = r.register(new Counter({ name: 'b_total', help: 'by api', labelNames: ['api', 'version'] }));
    r.register(new Gauge({ name: 'c', help: 'labelled, never set', labelNames: ['x'] }));
    labelled.inc({ api: 'Produce', version: '9' });
    labelled.inc({ api: 'Fetch', version: '12' }, 2);
    labelled.inc({ api: 'Produce', version: '9' }, 3);
    labelled.inc({ api: 'odd "name"\\\n', version: '0' });
    expect(r.text()).toBe(
      [
        '# HELP a_total plain\\\\counter\\nhelp',
        '# TYPE a_total counter',
        'a_total 0',
        '',
        '# HELP b_total by api',
        '# TYPE b_total counter',
        'b_total{api="Produce",version="9"} 4',
        'b_total{api="Fetch",version="12"} 2',
        'b_total{api="odd \\"name\\"\\\\\\n",version="0"} 1',
        '',
        '# HELP c labelled, never set',
        '# TYPE c gauge',
        '',
      ].join('\n'),
    );
    plain.inc(undefined, 5);
    expect(r.text()).toContain('a_total 5\n');
    expect(() => plain.inc(undefined, -1)).toThrow(RangeError);
  });

  it('renders histograms with cumulative buckets, le first, then _sum and _count', () => {
    const r = new MetricRegistry();
    const h = r.register(new Histogram({ name: 'lat_seconds', help: 'latency', labelNames: ['api'], buckets: [0.01, 0.001, 0.1] }));
    h.observe({ api: 'Produce' }, 0.0005);
    h.observe({ api: 'Produce' }, 0.005);
    h.observe({ api: 'Produce' }, 5);
    expect(r.text()).toContain(
      [
        'lat_seconds_bucket{le="0.001",api="Produce"} 1',
        'lat_seconds_bucket{le="0.01",api="Produce"} 2',
        'lat_seconds_bucket{le="0.1",api="Produce"} 2',
        'lat_seconds_bucket{le="+Inf",api="Produce"} 3',
        'lat_seconds_sum{api="Produce"} 5.0055',
        'lat_seconds_count{api="Produce"} 3',
      ].join('\n'),
    );
  });

  it('runs collect hooks at every render and prints non-finite values', () => {
    const r = new MetricRegistry();
    let reading = Number.NaN;
    r.register(new Gauge({ name: 'free_bytes', help: 'pulled', collect: (g) => g.set(undefined, reading) }));
    expect(r.text()).toContain('free_bytes NaN\n');
    reading = Infinity;
    expect(r.text()).toContain('free_bytes +Inf\n');
    reading = 42;
    expect(r.text()).toContain('free_bytes 42\n');
  });

  it('holds at most SERIES_MAX label sets per metric and refuses duplicate names', () => {
    const r = new MetricRegistry();
    const g = r.register(new Gauge({ name: 'many', help: 'bounded', labelNames: ['k'] }));
    for (let i = 0; i <= SERIES_MAX; i++) g.set({ k: String(i) }, 1);
    const lines = r.text().split('\n').filter((l) => l.startsWith('many{'));
    expect(lines).toHaveLength(SERIES_MAX);
    expect(lines.at(-1)).toBe(`many{k="${SERIES_MAX - 1}"} 1`);
    expect(() => r.register(new Counter({ name: 'many', help: 'again' }))).toThrow(/already registered/);
  });
});
