// ringkv end-to-end check through k6: each iteration writes a key, reads it back, deletes it and
// checks the 404, with every quorum form; also TTL, binary-safe keys and parameter errors.
// Every check must pass (threshold checks rate==1).
//
//   k6 run k6/e2e.ts
//   k6 run -e RINGKV_ENDPOINTS=http://127.0.0.1:7071,http://127.0.0.1:7072,http://127.0.0.1:7073 k6/e2e.ts
import http from 'k6/http';
import { check, fail, group } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';

const ENDPOINTS = (__ENV.RINGKV_ENDPOINTS || 'http://127.0.0.1:7071').split(',').map((e) => e.trim().replace(/\/+$/, ''));
const QUORUMS = ['1', '2', 'one', 'quorum', 'all'];
// A node with an auth file needs a token of the write role (-e RINGKV_TOKEN=...); /ready needs none.
const AUTH = __ENV.RINGKV_TOKEN ? { headers: { Authorization: `Bearer ${__ENV.RINGKV_TOKEN}` } } : {};

export const options: Options = {
  scenarios: {
    e2e: { executor: 'shared-iterations', vus: 2, iterations: Number(__ENV.ITERATIONS || 10), maxDuration: '2m' },
  },
  thresholds: {
    checks: ['rate==1'],
    // 400 and 404 are expected answers here; anything else failing is an error.
    http_req_failed: ['rate==0'],
    ringkv_e2e_round_trips: ['count>0'],
  },
};

/** Completed write / read / delete / 404 round trips. */
const roundTrips = new Counter('ringkv_e2e_round_trips');

// 400 and 404 are answers this script asks for.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 400, 404));

function kv(endpoint: string, key: string, query: Record<string, string> = {}): string {
  const qs = Object.keys(query).map((k) => `${k}=${encodeURIComponent(query[k])}`).join('&');
  return `${endpoint}/kv/${encodeURIComponent(key)}${qs ? `?${qs}` : ''}`;
}

function errorCode(body: string | null | ArrayBuffer): string | undefined {
  try {
    return (JSON.parse(String(body)) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

export function setup(): void {
  for (const endpoint of ENDPOINTS) {
    const res = http.get(`${endpoint}/ready`);
    if (res.status !== 200) fail(`${endpoint} is not ready (${res.status}): start a cluster first, e.g. ./dev.sh up`);
  }
}

export default function (): void {
  const it = exec.scenario.iterationInTest;
  // Write through one node, read and delete through others: any node coordinates any key.
  const writer = ENDPOINTS[it % ENDPOINTS.length];
  const reader = ENDPOINTS[(it + 1) % ENDPOINTS.length];
  const deleter = ENDPOINTS[(it + 2) % ENDPOINTS.length];
  const q = QUORUMS[it % QUORUMS.length];
  const key = `e2e/${exec.vu.idInTest}/${it}/ключ ✓`;
  const value = `value ${it} ${Date.now()}`;

  group('write, read back, delete, 404', () => {
    const put = http.put(kv(writer, key, { w: q }), value, AUTH);
    check(put, {
      'put: 204': (r) => r.status === 204,
      'put: has a timestamp': (r) => !!r.headers['X-Ringkv-Timestamp'],
    });
    const get = http.get(kv(reader, key, { r: q }), AUTH);
    check(get, {
      'get: 200': (r) => r.status === 200,
      'get: the value written': (r) => r.body === value,
      'get: same timestamp as the put': (r) => r.headers['X-Ringkv-Timestamp'] === put.headers['X-Ringkv-Timestamp'],
    });
    const del = http.del(kv(deleter, key, { w: 'all' }), null, AUTH);
    check(del, { 'delete: 204': (r) => r.status === 204 });
    const gone = http.get(kv(reader, key, { r: 'quorum' }), AUTH);
    check(gone, {
      'get after delete: 404': (r) => r.status === 404,
      'get after delete: NOT_FOUND': (r) => errorCode(r.body) === 'NOT_FOUND',
    });
    if (put.status === 204 && get.status === 200 && del.status === 204 && gone.status === 404) roundTrips.add(1);
  });

  group('ttl', () => {
    const put = http.put(kv(writer, `${key}/ttl`, { ttl: '3600' }), 'expiring', AUTH);
    check(put, { 'put with ttl: 204': (r) => r.status === 204 });
    const get = http.get(kv(reader, `${key}/ttl`), AUTH);
    check(get, { 'get with ttl: expiry header': (r) => r.status === 200 && !!r.headers['X-Ringkv-Expires-At'] });
  });

  group('parameter errors', () => {
    const bad = http.get(kv(reader, key, { r: '0' }), AUTH);
    check(bad, {
      'r=0: 400': (r) => r.status === 400,
      'r=0: INVALID_PARAMETER': (r) => errorCode(r.body) === 'INVALID_PARAMETER',
    });
    const unknown = http.put(kv(writer, key, { bogus: '1' }), 'x', AUTH);
    check(unknown, { 'unknown parameter: 400': (r) => r.status === 400 });
  });
}
