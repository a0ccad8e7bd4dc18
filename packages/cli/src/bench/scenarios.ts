// The k6 scenarios (k6/load.ts, k6/e2e.ts), run with the project's own tools where k6 is absent:
// `mixed` is a constant arrival rate of reads and writes with latency thresholds, `e2e` walks
// the API (write, read back, delete, 404, TTL, quorum parameters) and counts its checks.
import autocannon from 'autocannon';
import { InvalidArgumentError, RingkvClient, isRingkvClientError } from '@ringkv/client';
import { TlsRefusals, autocannonAccess, type TargetAccess } from './target-access.js';

export interface MixedOptions {
  endpoints: string[];
  ratePerSec: number;
  durationS: number;
  readRatio: number;
  keys: number;
  valueBytes: number;
  connections: number;
  p99GetMs: number;
  p99PutMs: number;
  maxErrorRate: number;
  /** Token and CA of the nodes. */
  access?: TargetAccess;
}

export interface MixedResult {
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  thresholds: { name: string; ok: boolean; value: string }[];
}

export async function runMixed(o: MixedOptions): Promise<MixedResult> {
  const body = Buffer.alloc(o.valueBytes, 'v');
  // Reads and writes run as separate instances at proportional rates: one autocannon connection
  // mixing methods sends a GET with the previous PUT's Content-Length, which stalls it.
  const targets = o.endpoints.flatMap((url) => (['GET', 'PUT'] as const).map((method) => ({ url, method })));
  const per = Math.max(1, Math.floor(o.connections / targets.length));
  const refusals = new TlsRefusals();
  const results = await Promise.all(targets.map(({ url, method }) => {
    const share = method === 'GET' ? o.readRatio : 1 - o.readRatio;
    const rate = Math.max(1, Math.round((o.ratePerSec * share) / o.endpoints.length));
    return autocannon({
      url, connections: per, duration: o.durationS, overallRate: rate, ...autocannonAccess(url, o.access, refusals),
      requests: [{
        method,
        ...(method === 'PUT' ? { body } : {}),
        setupRequest: (req) => ({ ...req, path: `/kv/load-${Math.floor(Math.random() * o.keys)}` }),
      }],
    });
  }));
  refusals.check();
  const total = results.reduce((s, r) => s + r.requests.total, 0);
  const weighted = (f: (r: autocannon.Result) => number) => (total ? results.reduce((s, r) => s + f(r) * r.requests.total, 0) / total : 0);
  // A GET of a key never written is a 404 answer, not an error: count only failures and 5xx.
  const errors = results.reduce((s, r) => s + r.errors + r.timeouts + (r['5xx'] ?? 0), 0);
  const p99 = weighted((r) => r.latency.p99);
  const errorRate = total ? errors / total : 1;
  return {
    opsPerS: results.reduce((s, r) => s + r.requests.total / Math.max(r.duration, 1e-9), 0),
    p50Ms: weighted((r) => r.latency.p50),
    p99Ms: p99,
    errorRate,
    thresholds: [
      { name: `p99 latency <= ${Math.max(o.p99GetMs, o.p99PutMs)} ms`, ok: p99 <= Math.max(o.p99GetMs, o.p99PutMs), value: `${p99.toFixed(1)} ms` },
      { name: `error rate <= ${o.maxErrorRate}`, ok: errorRate <= o.maxErrorRate, value: errorRate.toFixed(4) },
    ],
  };
}

export interface CheckCounts {
  passed: number;
  failed: { name: string; detail: string }[];
}

/** The end-to-end walk of k6/e2e.ts through the client SDK. */
export async function runE2e(endpoints: string[], iterations: number, access: TargetAccess = {}): Promise<CheckCounts> {
  const client = new RingkvClient({
    endpoints, discover: false,
    ...(access.token !== undefined ? { token: access.token } : {}), ...(access.ca ? { ca: access.ca } : {}),
  });
  const counts: CheckCounts = { passed: 0, failed: [] };
  const check = (name: string, ok: boolean, detail = '') => {
    if (ok) counts.passed++;
    else counts.failed.push({ name, detail });
  };
  for (let i = 0; i < iterations; i++) {
    const key = `e2e/${Date.now()}/${i}`;
    const value = `value ${i} ${'x'.repeat(i % 50)}`;
    // Pairs with R+W > N: only those promise to read the write back.
    for (const [w, r] of [[1, 'all'], ['quorum', 'quorum'], ['all', 1]] as const) {
      await client.put(key, value, { w });
      const got = await client.get(key, { r });
      check(`w=${w} then r=${r} reads the write back`, got?.text() === value, `got ${got?.text()}`);
    }
    await client.delete(key, { w: 'all' });
    check('deleted key reads as absent', (await client.get(key, { r: 'quorum' })) === undefined);
    await client.put(`${key}/ttl`, 'expiring', { ttl: 3600 });
    const ttl = await client.get(`${key}/ttl`);
    check('ttl value carries its expiry', !!ttl?.expiresAt, JSON.stringify(ttl?.expiresAt));
    try {
      await client.get(key, { r: 0 as never });
      check('r=0 is refused', false);
    } catch (err) {
      check('r=0 is refused with INVALID_PARAMETER', isRingkvClientError(err) && (err.code === 'INVALID_PARAMETER' || err.code === InvalidArgumentError.code), String(err));
    }
  }
  await client.close();
  return counts;
}
