// One load phase with autocannon: PUTs or GETs of fixed-size values over a key space, spread over
// the target's endpoints (one autocannon instance per endpoint, connections split between them);
// and the preload that writes every key of the space once, so a GET phase reads stored values.
// The same load speaks ringkv's API (and the ceilings') or etcd's JSON gateway (etcd-ceiling.ts).
import autocannon from 'autocannon';
import { TlsRefusals, autocannonAccess, type TargetAccess } from './target-access.js';

export interface LoadOptions {
  endpoints: string[];
  op: 'PUT' | 'GET';
  connections: number;
  durationS: number;
  keys: number;
  valueBytes: number;
  /** Query string appended to every request (e.g. `w=2`). */
  query?: string;
  /** Token and CA of a ringkv target (none for the ceilings). */
  access?: TargetAccess;
  /** The API the target speaks (default ringkv's, which the ceilings speak too). */
  api?: LoadApi;
}

export type LoadApi = 'ringkv' | 'etcd';

/** One request of the load: what autocannon's setupRequest sets. */
export interface LoadRequest {
  method: 'PUT' | 'GET' | 'POST';
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

/**
 * Key number i of the key space as a request of `api`: ringkv's PUT/GET /kv/bench-i (with
 * `suffix`, a query string), or etcd's POST /v3/kv/put and /v3/kv/range with the key and value in
 * base64 (valueB64: the value, encoded once).
 */
export function requestOf(api: LoadApi, op: 'PUT' | 'GET', i: number, suffix: string, body: Buffer, valueB64: string): LoadRequest {
  if (api === 'ringkv') return op === 'PUT' ? { method: 'PUT', path: keyPath(i, suffix), body } : { method: 'GET', path: keyPath(i, suffix) };
  const key = Buffer.from(`bench-${i}`).toString('base64');
  return {
    method: 'POST',
    path: op === 'PUT' ? '/v3/kv/put' : '/v3/kv/range',
    headers: { 'content-type': 'application/json' },
    body: op === 'PUT' ? `{"key":"${key}","value":"${valueB64}"}` : `{"key":"${key}"}`,
  };
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

/** The path of key number i of the benchmark's key space. */
function keyPath(i: number, suffix: string): string {
  return `/kv/bench-${i}${suffix}`;
}

/** Writes keys 0..keys-1 once each (endpoint j takes every j-th); resolves with the requests that failed. */
/** autocannon's request with r's fields, r's headers added to the phase's (a token). */
function withRequest(req: autocannon.Request, r: LoadRequest): autocannon.Request {
  return r.headers ? { ...req, ...r, headers: { ...req.headers, ...r.headers } } : { ...req, ...r };
}

export async function preload(o: Omit<LoadOptions, 'op' | 'durationS'>): Promise<number> {
  const body = Buffer.alloc(o.valueBytes, 'v');
  const valueB64 = body.toString('base64');
  const per = Math.max(1, Math.floor(o.connections / o.endpoints.length));
  const suffix = o.query ? `?${o.query}` : '';
  const refusals = new TlsRefusals();
  const results = await Promise.all(o.endpoints.map((url, j) => {
    const amount = Math.ceil((o.keys - j) / o.endpoints.length);
    let next = j;
    return amount <= 0 ? undefined : autocannon({
      url, connections: Math.min(per, amount), amount, pipelining: 1, ...autocannonAccess(url, o.access, refusals),
      requests: [{
        method: 'PUT',
        setupRequest: (req) => {
          const r = requestOf(o.api ?? 'ringkv', 'PUT', next, suffix, body, valueB64);
          next += o.endpoints.length;
          return withRequest(req, r);
        },
      }],
    });
  }));
  refusals.check();
  return results.reduce((s, r) => s + (r ? r.errors + r.timeouts + r.non2xx : 0), 0);
}

export async function runLoad(o: LoadOptions): Promise<PhaseResult> {
  const body = Buffer.alloc(o.valueBytes, 'v');
  const valueB64 = body.toString('base64');
  const per = Math.max(1, Math.floor(o.connections / o.endpoints.length));
  const suffix = o.query ? `?${o.query}` : '';
  const refusals = new TlsRefusals();
  const results = await Promise.all(o.endpoints.map((url) => autocannon({
    url,
    ...autocannonAccess(url, o.access, refusals),
    connections: per,
    duration: o.durationS,
    pipelining: 1,
    requests: [{
      method: o.op,
      setupRequest: (req) => {
        const r = requestOf(o.api ?? 'ringkv', o.op, Math.floor(Math.random() * o.keys), suffix, body, valueB64);
        return withRequest(req, r);
      },
    }],
  })));
  refusals.check();
  const total = results.reduce((s, r) => s + r.requests.total, 0);
  const weighted = (f: (r: autocannon.Result) => number) =>
    total === 0 ? 0 : results.reduce((s, r) => s + f(r) * r.requests.total, 0) / total;
  // 404s on GET of keys never written (no preload) are answers, not failures: count them apart.
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
