// ringkv load test: a constant arrival rate of mixed reads and writes over every endpoint, with
// thresholds on p99 latency and the error rate, and ringkv-specific metrics.
//
//   k6 run k6/load.ts                                     # against http://127.0.0.1:7071
//   k6 run -e RINGKV_ENDPOINTS=http://a:7070,http://b:7070 -e RATE=2000 -e DURATION=2m k6/load.ts
//
// Environment: RINGKV_ENDPOINTS (comma separated), RATE (requests/s, default 200), DURATION
// (default 30s), READ_RATIO (0..1, default 0.8), KEYS (key space, default 10000), VALUE_BYTES
// (default 256), R and W (quorums, default the cluster's), P99_GET_MS and P99_PUT_MS (thresholds,
// default 50 and 100), MAX_ERROR_RATE (default 0.01).
import http, { type RefinedResponse } from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';

const ENDPOINTS = (__ENV.RINGKV_ENDPOINTS || 'http://127.0.0.1:7071').split(',').map((e) => e.trim().replace(/\/+$/, ''));
const RATE = Number(__ENV.RATE || 200);
const DURATION = __ENV.DURATION || '30s';
const READ_RATIO = Number(__ENV.READ_RATIO || 0.8);
const KEYS = Number(__ENV.KEYS || 10_000);
const VALUE_BYTES = Number(__ENV.VALUE_BYTES || 256);
const P99_GET_MS = Number(__ENV.P99_GET_MS || 50);
const P99_PUT_MS = Number(__ENV.P99_PUT_MS || 100);
const MAX_ERROR_RATE = Number(__ENV.MAX_ERROR_RATE || 0.01);
// A node with an auth file needs a token of the write role (-e RINGKV_TOKEN=...); /ready needs none.
const AUTH_HEADERS: Record<string, string> = __ENV.RINGKV_TOKEN ? { Authorization: `Bearer ${__ENV.RINGKV_TOKEN}` } : {};
const PRELOAD_KEYS = Math.min(KEYS, 1000);

export const options: Options = {
  scenarios: {
    mixed: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      // Enough VUs for the rate at ~10 ms per request; more are added up to maxVUs if it slows.
      preAllocatedVUs: Math.max(10, Math.ceil(RATE / 50)),
      maxVUs: Math.max(50, Math.ceil(RATE / 5)),
    },
  },
  thresholds: {
    'http_req_duration{op:get}': [`p(99)<${P99_GET_MS}`],
    'http_req_duration{op:put}': [`p(99)<${P99_PUT_MS}`],
    ringkv_errors: [{ threshold: `rate<${MAX_ERROR_RATE}`, abortOnFail: true, delayAbortEval: '10s' }],
    // The arrival rate was kept: k6 did not have to drop iterations for lack of VUs.
    dropped_iterations: ['count<1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

/** Failed requests (anything but 200/204, or 404 on a read). */
const errors = new Rate('ringkv_errors');
/** Reads of a key that was never written or expired: not errors, but worth seeing. */
const notFound = new Counter('ringkv_not_found');
/** 503 answers by code, to tell quorum loss from load shedding. */
const unavailable = new Counter('ringkv_unavailable');
/** Bytes written in values. */
const bytesWritten = new Counter('ringkv_value_bytes_written');
/** Server-side timestamps seen per request: proves answers came from a coordinator. */
const staleAnswers = new Rate('ringkv_missing_timestamp');
const putLatency = new Trend('ringkv_put_latency', true);
const getLatency = new Trend('ringkv_get_latency', true);

// Made once per VU in the init context, so iterations do not spend time building values.
const VALUE = 'x'.repeat(VALUE_BYTES);
const quorum = (name: 'r' | 'w') => (__ENV[name.toUpperCase()] ? `?${name}=${encodeURIComponent(__ENV[name.toUpperCase()])}` : '');

function url(endpoint: string, key: string, query = ''): string {
  return `${endpoint}/kv/${encodeURIComponent(key)}${query}`;
}

function record(res: RefinedResponse<'text'>, ok: boolean): void {
  errors.add(!ok);
  if (res.status === 503) {
    let code = 'UNKNOWN';
    try {
      code = String((res.json() as { error?: { code?: string } }).error?.code ?? code);
    } catch {
      // not JSON
    }
    unavailable.add(1, { code });
  }
}

/** Writes part of the key space so that reads mostly find something. */
export function setup(): void {
  const requests = [];
  for (let i = 0; i < PRELOAD_KEYS; i++) {
    requests.push({ method: 'PUT', url: url(ENDPOINTS[i % ENDPOINTS.length], `load-${i}`), body: VALUE, params: { tags: { op: 'preload' }, headers: AUTH_HEADERS } });
    if (requests.length === 100 || i === PRELOAD_KEYS - 1) {
      const answers = http.batch(requests.splice(0));
      for (const res of answers) if (res.status !== 204) throw new Error(`preload failed: ${res.status} ${res.body}`);
    }
  }
}

export default function (): void {
  const endpoint = ENDPOINTS[exec.scenario.iterationInTest % ENDPOINTS.length];
  const key = `load-${Math.floor(Math.random() * KEYS)}`;
  if (Math.random() < READ_RATIO) {
    const res = http.get(url(endpoint, key, quorum('r')), { tags: { op: 'get', name: 'GET /kv/{key}' }, responseType: 'text', headers: AUTH_HEADERS });
    const ok = check(res, { 'get: 200 or 404': (r) => r.status === 200 || r.status === 404 });
    if (res.status === 404) notFound.add(1);
    if (res.status === 200) staleAnswers.add(!res.headers['X-Ringkv-Timestamp']);
    getLatency.add(res.timings.duration);
    record(res, ok);
  } else {
    const res = http.put(url(endpoint, key, quorum('w')), VALUE, { tags: { op: 'put', name: 'PUT /kv/{key}' }, responseType: 'text', headers: AUTH_HEADERS });
    const ok = check(res, { 'put: 204': (r) => r.status === 204 });
    if (ok) bytesWritten.add(VALUE_BYTES);
    staleAnswers.add(ok && !res.headers['X-Ringkv-Timestamp']);
    putLatency.add(res.timings.duration);
    record(res, ok);
  }
}
