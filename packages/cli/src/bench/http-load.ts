// One load phase with autocannon: PUTs or GETs of fixed-size values over a key space, spread over
// the target's endpoints (one autocannon instance per endpoint, connections split between them).
import autocannon from 'autocannon';

export interface LoadOptions {
  endpoints: string[];
  op: 'PUT' | 'GET';
  connections: number;
  durationS: number;
  keys: number;
  valueBytes: number;
  /** Query string appended to every request (e.g. `w=2`). */
  query?: string;
}

export interface PhaseResult {
  opsPerS: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  non2xx: number;
  /** Latencies were combined from several endpoints by request-weighted average (approximate). */
  combined: boolean;
}

export async function runLoad(o: LoadOptions): Promise<PhaseResult> {
  const body = Buffer.alloc(o.valueBytes, 'v');
  const per = Math.max(1, Math.floor(o.connections / o.endpoints.length));
  const suffix = o.query ? `?${o.query}` : '';
  const results = await Promise.all(o.endpoints.map((url) => autocannon({
    url,
    connections: per,
    duration: o.durationS,
    pipelining: 1,
    requests: [{
      method: o.op,
      setupRequest: (req) => ({
        ...req,
        path: `/kv/bench-${Math.floor(Math.random() * o.keys)}${suffix}`,
        ...(o.op === 'PUT' ? { body } : {}),
      }),
    }],
  })));
  const total = results.reduce((s, r) => s + r.requests.total, 0);
  const weighted = (f: (r: autocannon.Result) => number) =>
    total === 0 ? 0 : results.reduce((s, r) => s + f(r) * r.requests.total, 0) / total;
  // 404s on GET of keys the PUT phase never wrote are answers, not failures: count them apart.
  return {
    opsPerS: results.reduce((s, r) => s + r.requests.total / Math.max(r.duration, 1e-9), 0),
    requests: total,
    p50Ms: weighted((r) => r.latency.p50),
    p99Ms: weighted((r) => r.latency.p99),
    p999Ms: weighted((r) => (r.latency as unknown as Record<string, number>).p99_9 ?? r.latency.p99),
    errors: results.reduce((s, r) => s + r.errors + r.timeouts, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    combined: results.length > 1,
  };
}
