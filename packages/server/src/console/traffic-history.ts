// A node's traffic history for the console (GET /cluster/traffic): one sample every 10 s (ops and
// p50/p99 per operation, errors by code), in memory, bounded by a byte budget: when a new sample
// would pass it, the oldest go first. A sample's bytes are estimated from its shape (a fixed part
// and one part per error code), so the bound holds whatever the samples hold.
import { TRAFFIC_ERROR_CODES_MAX } from '../protocol/self-status-schema.js';

export const TRAFFIC_RESOLUTION_MS = 10_000;

export interface OpTraffic {
  ops: number;
  /** Quantiles of the interval's latency (ms); null when it saw no request. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface TrafficSample {
  /** End of the interval (unix ms, the node's clock). */
  atMs: number;
  get: OpTraffic;
  put: OpTraffic;
  delete: OpTraffic;
  /** Failed /kv requests of the interval by error code, most frequent first. */
  errors: [code: string, count: number][];
}

/** The bytes a sample is charged: numbers and their keys, plus each error code's string and count. */
export function sampleBytes(s: TrafficSample): number {
  let bytes = 160;
  for (const [code] of s.errors) bytes += 24 + 2 * code.length;
  return bytes;
}

/** At most TRAFFIC_ERROR_CODES_MAX codes, most frequent first; the rest summed under OTHER. */
export function boundErrors(counts: ReadonlyMap<string, number>): [string, number][] {
  const sorted = [...counts].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (sorted.length <= TRAFFIC_ERROR_CODES_MAX) return sorted;
  const kept = sorted.slice(0, TRAFFIC_ERROR_CODES_MAX);
  const rest = sorted.slice(TRAFFIC_ERROR_CODES_MAX).reduce((sum, [, n]) => sum + n, 0);
  return [...kept, ['OTHER', rest]];
}

export class TrafficHistory {
  private readonly samples: TrafficSample[] = [];
  private first = 0;
  private used = 0;

  constructor(readonly capBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  get length(): number {
    return this.samples.length - this.first;
  }

  /** Appends a sample, dropping the oldest until it fits. */
  add(sample: TrafficSample): void {
    const bytes = sampleBytes(sample);
    if (bytes > this.capBytes) return;
    this.samples.push(sample);
    this.used += bytes;
    while (this.used > this.capBytes) this.used -= sampleBytes(this.samples[this.first++]);
    // Compact now and then rather than shifting on every drop.
    if (this.first > 1024 && this.first * 2 > this.samples.length) {
      this.samples.splice(0, this.first);
      this.first = 0;
    }
  }

  /** The samples oldest first (the newest `limit` of them when given). */
  series(limit = Infinity): TrafficSample[] {
    const from = Math.max(this.first, this.samples.length - limit);
    return this.samples.slice(from);
  }

  latest(): TrafficSample | undefined {
    return this.length > 0 ? this.samples[this.samples.length - 1] : undefined;
  }
}
