// An open-loop load at a constant arrival rate: request i is issued at start + i/rate whether or
// not earlier ones have been answered, and its latency counts from that scheduled time, so a stall
// of the server shows in the percentiles as the queue it builds (no coordinated omission).
// autocannon's overallRate is closed-loop per connection: a late answer delays the next request of
// its connection, and the time it waited is never counted; its per-instance percentiles were also
// averaged, which is not a percentile of anything. This is what `--scenario mixed` measured.
import { Agent, type Dispatcher } from 'undici';
import type { TargetAccess } from './target-access.js';

export interface OpenLoopOptions {
  endpoints: string[];
  ratePerSec: number;
  durationS: number;
  /** Seconds at the same rate before the measured part (connections made, code warm): not counted. */
  warmupS?: number;
  /** Share of GETs; the rest are PUTs. */
  readRatio: number;
  keys: number;
  valueBytes: number;
  /** Connections per endpoint (requests beyond them queue in the client, and that wait counts). */
  connections: number;
  /** Requests allowed in flight at once; past it a due request is counted as dropped, not sent. */
  maxInFlight?: number;
  access?: TargetAccess;
  /** The random source for key and operation choice (Math.random by default). */
  random?: () => number;
}

export interface OpLatencies {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface OpenLoopResult {
  /** Requests answered per second over the run. */
  opsPerS: number;
  scheduled: number;
  /** Due while maxInFlight were outstanding: not sent (the server could not keep up). */
  dropped: number;
  /** Transport failures and 5xx answers. */
  errors: number;
  get: OpLatencies;
  put: OpLatencies;
  all: OpLatencies;
}

/** Percentiles of latencies in ms (nearest rank on the sorted samples). */
export function latencySummary(samples: number[]): OpLatencies {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  return { count: s.length, p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: s.length ? s[s.length - 1]! : 0 };
}

/** The scheduled send times (ms from the start) of a constant rate over a duration. */
export function schedule(ratePerSec: number, durationS: number): number[] {
  const n = Math.floor(ratePerSec * durationS);
  return Array.from({ length: n }, (_, i) => (i * 1000) / ratePerSec);
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const random = o.random ?? Math.random;
  const maxInFlight = o.maxInFlight ?? 10_000;
  const body = Buffer.alloc(o.valueBytes, 'v');
  const headers: Record<string, string> = o.access?.token ? { authorization: `Bearer ${o.access.token}` } : {};
  const agent = new Agent({ connections: o.connections, pipelining: 1, ...(o.access?.ca ? { connect: { ca: o.access.ca } } : {}) });
  const warmupMs = (o.warmupS ?? 0) * 1000;
  const times = schedule(o.ratePerSec, (o.warmupS ?? 0) + o.durationS);
  const measured = times.filter((t) => t >= warmupMs).length;
  const lat = { get: [] as number[], put: [] as number[] };
  let inFlight = 0;
  let dropped = 0;
  let errors = 0;
  let answered = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let measuredFrom = 0;
  const send = (i: number, dueAt: number): void => {
    const counted = times[i]! >= warmupMs;
    const get = random() < o.readRatio;
    const endpoint = o.endpoints[i % o.endpoints.length]!;
    const path = `/kv/load-${Math.floor(random() * o.keys)}`;
    inFlight++;
    const opts: Dispatcher.RequestOptions = { origin: endpoint, path, method: get ? 'GET' : 'PUT', headers, ...(get ? {} : { body }) };
    const p = agent.request(opts).then(
      async (res) => {
        await res.body.dump();
        if (!counted) return;
        if (res.statusCode >= 500) errors++;
        answered++;
        (get ? lat.get : lat.put).push(performance.now() - dueAt);
      },
      () => { if (counted) errors++; },
    ).finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  };
  // Issue what is due, then sleep until the next is due (timers are late, never early: a late
  // timer sends a burst, each still measured from its own scheduled time).
  for (let i = 0; i < times.length;) {
    const now = performance.now() - start;
    while (i < times.length && times[i]! <= now) {
      if (times[i]! >= warmupMs && measuredFrom === 0) measuredFrom = performance.now();
      if (inFlight >= maxInFlight) {
        if (times[i]! >= warmupMs) dropped++;
      } else send(i, start + times[i]!);
      i++;
    }
    if (i < times.length) await new Promise((resolve) => setTimeout(resolve, Math.max(0, times[i]! - (performance.now() - start))));
  }
  await Promise.allSettled([...pending]);
  const elapsedS = (performance.now() - (measuredFrom || start)) / 1000;
  await agent.close();
  return {
    opsPerS: answered / elapsedS, scheduled: measured, dropped, errors,
    get: latencySummary(lat.get), put: latencySummary(lat.put), all: latencySummary([...lat.get, ...lat.put]),
  };
}
