// Every 10 s (through the node's clock), the console's sampler takes what changed since the last
// tick: the /kv latency histograms' new observations per operation (their p50/p99 and counts),
// the errors counted by code, the operations coordinated per partition and the hints delivered
// per target (as rates), and the engine's bytes on disk. Nothing of it runs on the request path:
// the request path only adds to counters it already had (or, for errors, one map entry).
import { KeyNotFoundError } from '../errors.js';
import { monotonicMs, type Clock, type TimerHandle } from '../clock.js';
import { histogramQuantile } from './histogram-quantile.js';
import { TRAFFIC_RESOLUTION_MS, TrafficHistory, boundErrors, type OpTraffic, type TrafficSample } from './traffic-history.js';

export const TRAFFIC_OPS = Object.freeze(['get', 'put', 'delete'] as const);
type Op = (typeof TRAFFIC_OPS)[number];

/** A histogram's series as the registry reads them (FastHistogram.get()). */
export interface HistogramValues {
  get(): Promise<{ name: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }>;
}

export interface TrafficSamplerDeps {
  clock: Clock;
  /** ringkv_kv_request_duration_seconds (by op and consistency; summed over consistency here). */
  kvLatency: HistogramValues;
  /** Reads and writes coordinated per partition (wrapping counters). */
  opsByPartition: Uint32Array;
  /** Hints delivered per target since start. */
  hintsDelivered: () => ReadonlyMap<string, number>;
  /** The engine's bytes on disk (undefined: no data directory, the memory engine). */
  diskBytes?: () => Promise<number>;
  capBytes: number;
  intervalMs?: number;
}

/** Distinct error codes counted between two ticks; more count under OTHER. */
const ERROR_CODES_KEPT = 64;

/** Cumulative bucket counts per op, summed over the other labels; bounds ascending, +Inf last. */
export function cumulativeByOp(values: Awaited<ReturnType<HistogramValues['get']>>): Map<Op, { bounds: number[]; cumulative: number[] }> {
  const byOp = new Map<Op, Map<number, number>>();
  for (const v of values.values) {
    if (!v.metricName.endsWith('_bucket')) continue;
    const op = v.labels.op as Op;
    if (!TRAFFIC_OPS.includes(op)) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    let m = byOp.get(op);
    if (!m) byOp.set(op, (m = new Map()));
    m.set(le, (m.get(le) ?? 0) + v.value);
  }
  const out = new Map<Op, { bounds: number[]; cumulative: number[] }>();
  for (const [op, m] of byOp) {
    const les = [...m.keys()].sort((a, b) => a - b);
    out.set(op, { bounds: les.filter(Number.isFinite), cumulative: les.map((le) => m.get(le)!) });
  }
  return out;
}

/** One interval's traffic of an op from the cumulative counts before and after it. */
export function intervalTraffic(before: number[] | undefined, after: { bounds: number[]; cumulative: number[] } | undefined): OpTraffic {
  if (!after) return { ops: 0, p50Ms: null, p99Ms: null };
  // A histogram reset (cumulative counts going down) starts over from zero.
  const reset = before === undefined || before.length !== after.cumulative.length || after.cumulative.some((c, i) => c < before[i]);
  const cum = after.cumulative.map((c, i) => c - (reset ? 0 : before[i]));
  const counts = cum.map((c, i) => c - (i === 0 ? 0 : cum[i - 1]));
  const ops = cum.length > 0 ? cum[cum.length - 1] : 0;
  const ms = (q: number) => {
    const s = histogramQuantile(q, after.bounds, counts);
    return s === null ? null : Math.round(s * 1e6) / 1e3;
  };
  return { ops, p50Ms: ms(0.5), p99Ms: ms(0.99) };
}

export class TrafficSampler {
  readonly history: TrafficHistory;
  private timer?: TimerHandle;
  private stopped = false;
  private ticking?: Promise<void>;
  private readonly errors = new Map<string, number>();
  private lastCumulative = new Map<Op, number[]>();
  private lastOps?: Uint32Array;
  private lastDelivered = new Map<string, number>();
  private lastTickMono?: number;
  /** Per partition, operations per second over the last interval (only partitions that had some). */
  opsPerSecond: ReadonlyMap<number, number> = new Map();
  /** Per target, hints delivered per second over the last interval. */
  deliveredPerSecond: ReadonlyMap<string, number> = new Map();
  /** The engine's bytes on disk at the last tick (null: not measured, or no data directory). */
  diskBytes: number | null = null;

  constructor(private readonly deps: TrafficSamplerDeps) {
    this.history = new TrafficHistory(deps.capBytes);
  }

  get intervalMs(): number {
    return this.deps.intervalMs ?? TRAFFIC_RESOLUTION_MS;
  }

  /** A failed /kv request (a key not found is an answer, not an error). */
  recordError(code: string): void {
    if (code === KeyNotFoundError.code) return;
    const key = this.errors.has(code) || this.errors.size < ERROR_CODES_KEPT ? code : 'OTHER';
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /** Takes a first reading (the baseline of the first interval) and schedules the ticks. */
  start(): void {
    this.ticking = this.tick(false);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking?.catch(() => undefined);
  }

  /** One sample now (the timer calls it; tests call it directly). `record` false: baseline only. */
  async tick(record = true): Promise<void> {
    const { clock } = this.deps;
    const nowMono = monotonicMs(clock);
    const seconds = this.lastTickMono === undefined ? 0 : Math.max(0.001, (nowMono - this.lastTickMono) / 1000);
    this.lastTickMono = nowMono;
    const hist = cumulativeByOp(await this.deps.kvLatency.get());
    const traffic = Object.fromEntries(TRAFFIC_OPS.map((op) => [op, intervalTraffic(this.lastCumulative.get(op), hist.get(op))])) as Record<Op, OpTraffic>;
    this.lastCumulative = new Map([...hist].map(([op, h]) => [op, h.cumulative]));
    const errors = boundErrors(this.errors);
    this.errors.clear();
    this.rates(seconds);
    if (this.deps.diskBytes) this.diskBytes = await this.deps.diskBytes().catch(() => null);
    if (!record) return;
    const sample: TrafficSample = { atMs: clock.nowMs(), get: traffic.get, put: traffic.put, delete: traffic.delete, errors };
    this.history.add(sample);
  }

  private rates(seconds: number): void {
    const ops = this.deps.opsByPartition;
    if (this.lastOps && this.lastOps.length === ops.length && seconds > 0) {
      const rates = new Map<number, number>();
      for (let p = 0; p < ops.length; p++) {
        const n = (ops[p] - this.lastOps[p]) >>> 0; // wraps like the counters
        if (n > 0) rates.set(p, n / seconds);
      }
      this.opsPerSecond = rates;
    }
    this.lastOps = ops.slice();
    const delivered = this.deps.hintsDelivered();
    if (seconds > 0) {
      const rates = new Map<string, number>();
      for (const [target, n] of delivered) {
        const d = n - (this.lastDelivered.get(target) ?? 0);
        if (d > 0) rates.set(target, d / seconds);
      }
      this.deliveredPerSecond = rates;
    }
    this.lastDelivered = new Map(delivered);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.intervalMs, () => {
      this.ticking = this.tick().catch(() => undefined);
      this.schedule();
    });
  }
}
