/**
 * A small metric registry rendered in the Prometheus text exposition format (0.0.4):
 * counters, gauges and histograms with labels, and `collect` hooks that refresh pulled
 * values at scrape time. Runtime-free (no prom-client, which is a Node library: it reads
 * `process`, `perf_hooks` and `cluster`), so the host's metrics run unchanged on Node, Deno
 * and the memory runtime. An app may append its own runtime's process metrics as text
 * (`BrokerMetrics`' `extraText`).
 *
 * The output matches what prom-client printed for the same metrics, so dashboards and the
 * tests that read /metrics see no change: `# HELP` and `# TYPE` lines, then one line per
 * series, metrics separated by a blank line; a metric without labels always has a value
 * (0 until set); histogram buckets are cumulative with `le` as the first label, then
 * `_sum` and `_count`. Label values escape `\`, `"` and newlines; HELP escapes `\` and
 * newlines. Non-finite values print as NaN, +Inf, -Inf.
 *
 * Bound: each metric holds at most `SERIES_MAX` label sets; a new label set past it is
 * dropped (callers cap cardinality before that: topics are folded into "other", partition
 * series are capped by BrokerMetrics).
 */

export const SERIES_MAX = 100_000;
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

interface MetricOptions<L extends string, M> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  /** Called with the metric before every render: refresh pulled values here. */
  readonly collect?: (metric: M) => void;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Series of one metric, keyed by their label values in labelNames order. */
abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { readonly labels: Array<readonly [string, string]>; state: S }>();
  readonly #collect: ((metric: this) => void) | undefined;

  constructor(options: MetricOptions<L, never>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    this.#collect = options.collect as ((metric: this) => void) | undefined;
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract initial(): S;
  protected abstract lines(labels: ReadonlyArray<readonly [string, string]>, state: S): string[];

  /** The state of one label set, created on first use; null past SERIES_MAX. */
  protected at(labels: Partial<Record<L, string>> | undefined): S | null {
    const pairs = this.labelNames.map((n) => [n, labels?.[n] ?? ''] as const);
    const key = JSON.stringify(pairs.map(([, v]) => v));
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (this.series.size >= SERIES_MAX) return null;
      entry = { labels: pairs, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** Forgets every series (pulled metrics call this before setting the current ones). */
  reset(): void {
    this.series.clear();
  }

  render(): string {
    this.#collect?.(this);
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    if (this.series.size === 0 && this.labelNames.length === 0) out.push(...this.lines([], this.initial()));
    for (const { labels, state } of this.series.values()) out.push(...this.lines(labels, state));
    return out.join('\n');
  }
}

interface Cell {
  value: number;
}

export class Counter<L extends string = never> extends Metric<L, Cell> {
  readonly type = 'counter';
  constructor(options: MetricOptions<L, Counter<L>>) {
    super(options as MetricOptions<L, never>);
  }
  protected initial(): Cell {
    return { value: 0 };
  }
  protected lines(labels: ReadonlyArray<readonly [string, string]>, s: Cell): string[] {
    return [`${this.name}${labelText(labels)} ${formatValue(s.value)}`];
  }
  /** Adds `amount` (≥ 0; a negative amount is a programmer error). */
  inc(labels?: Partial<Record<L, string>>, amount = 1): void {
    if (!(amount >= 0)) throw new RangeError(`counter ${this.name}: increment ${amount} must be >= 0`);
    const cell = this.at(labels);
    if (cell !== null) cell.value += amount;
  }
}

export class Gauge<L extends string = never> extends Metric<L, Cell> {
  readonly type = 'gauge';
  constructor(options: MetricOptions<L, Gauge<L>>) {
    super(options as MetricOptions<L, never>);
  }
  protected initial(): Cell {
    return { value: 0 };
  }
  protected lines(labels: ReadonlyArray<readonly [string, string]>, s: Cell): string[] {
    return [`${this.name}${labelText(labels)} ${formatValue(s.value)}`];
  }
  set(labels: Partial<Record<L, string>> | undefined, value: number): void {
    const cell = this.at(labels);
    if (cell !== null) cell.value = value;
  }
  inc(labels: Partial<Record<L, string>> | undefined, delta: number): void {
    const cell = this.at(labels);
    if (cell !== null) cell.value += delta;
  }
}

interface HistogramState {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  readonly #buckets: readonly number[];
  constructor(options: MetricOptions<L, Histogram<L>> & { readonly buckets: readonly number[] }) {
    super(options as MetricOptions<L, never>);
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
  }
  protected initial(): HistogramState {
    return { counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
  }
  protected lines(labels: ReadonlyArray<readonly [string, string]>, s: HistogramState): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.#buckets.forEach((le, i) => {
      cumulative += s.counts[i]!;
      out.push(`${this.name}_bucket${labelText([['le', formatValue(le)], ...labels])} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${labelText([['le', '+Inf'], ...labels])} ${s.count}`);
    out.push(`${this.name}_sum${labelText(labels)} ${formatValue(s.sum)}`, `${this.name}_count${labelText(labels)} ${s.count}`);
    return out;
  }
  observe(labels: Partial<Record<L, string>> | undefined, value: number): void {
    const s = this.at(labels);
    if (s === null) return;
    const i = this.#buckets.findIndex((le) => value <= le);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
}

/** The metrics of one process, rendered in registration order. */
export class MetricRegistry {
  readonly #metrics: Array<{ render(): string; readonly name: string }> = [];

  register<M extends { render(): string; readonly name: string }>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.#metrics.push(metric);
    return metric;
  }

  text(): string {
    return this.#metrics.length === 0 ? '' : `${this.#metrics.map((m) => m.render()).join('\n\n')}\n`;
  }
}
