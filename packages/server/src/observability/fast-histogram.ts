// A latency histogram for the request path, exported in Prometheus' histogram format through a
// prom-client registry. prom-client's Histogram.observe() validates and hashes its label set on
// every call (0.7 us measured, about 2% of a PUT's CPU); here a request names its series by a key
// string it already has, and an observation is a Map lookup and two additions. The registry
// reads it like any other metric (get(), type 'histogram').
import type { Registry } from 'prom-client';

interface Series<L extends string> {
  labels: Record<L, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  metricName: string;
  /** The value's own labels (le); the series' labels are in sharedLabels, as prom-client does. */
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
}

/** One series of a FastHistogram, resolved ahead of the request path. */
export interface HistogramChild {
  observe(value: number): void;
}

export interface FastHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds, strictly increasing. */
  buckets: readonly number[];
  registers: Registry[];
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series<L>>();
  /** Bumped by reset(), so children resolve their series again. */
  private generation = 0;

  constructor(options: FastHistogramOptions) {
    if (options.buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= options.buckets[i - 1]))) {
      throw new RangeError('histogram buckets must be finite and strictly increasing');
    }
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets];
    for (const r of options.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Adds one observation to the series `key` identifies; `labels` are read only the first time. */
  observe(key: string, labels: Record<L, string>, value: number): void {
    this.add(this.seriesOf(key, labels), value);
  }

  /**
   * The series `key` identifies, resolved once (created now if new, so it is exported from now on
   * with zero counts): its observe() is the bucket search and three additions, no lookup.
   */
  child(key: string, labels: Record<L, string>): HistogramChild {
    let s = this.seriesOf(key, labels);
    let generation = this.generation;
    return {
      observe: (value) => {
        // After a reset() the series is made again (one comparison otherwise).
        if (generation !== this.generation) {
          s = this.seriesOf(key, labels);
          generation = this.generation;
        }
        this.add(s, value);
      },
    };
  }

  private seriesOf(key: string, labels: Record<L, string>): Series<L> {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  private add(s: Series<L>, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /**
   * What the registry writes in the text format: cumulative buckets, +Inf, sum and count of every
   * series, laid out as prom-client's Histogram lays them out (the same lines, label order too).
   */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ metricName: bucket, labels: { le }, sharedLabels: s.labels, value: cumulative });
      });
      values.push({ metricName: bucket, labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same, each value's labels whole (the registry's JSON form). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } }));
    return data;
  }

  reset(): void {
    this.series.clear();
    this.generation++;
  }
}
