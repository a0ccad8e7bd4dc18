// The k6 scenarios (k6/load.ts, k6/e2e.ts), run with the project's own tools where k6 is absent:
// `mixed` is judged against k6/load.ts's latency thresholds (the run: open-loop.ts, bench-mixed.ts), `e2e` walks
// the API (write, read back, delete, 404, TTL, quorum parameters) and counts its checks.
import { InvalidArgumentError, RingkvClient, isRingkvClientError } from '@ringkv/client';
import type { OpLatencies, OpenLoopResult } from './open-loop.js';
import type { TargetAccess } from './target-access.js';

/** k6/load.ts's pass thresholds, per operation. */
export interface MixedThresholds {
  p99GetMs: number;
  p99PutMs: number;
  maxErrorRate: number;
}

export interface MixedResult {
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  /** Per operation, latency from each request's scheduled time (open loop, open-loop.ts). */
  get: OpLatencies;
  put: OpLatencies;
  /** Requests due while too many were outstanding (not sent). */
  dropped: number;
  thresholds: { name: string; ok: boolean; value: string }[];
}

/** An open-loop run against k6/load.ts's thresholds. */
export function judgeMixed(r: OpenLoopResult, o: MixedThresholds): MixedResult {
  // A GET of a key never written is a 404 answer, not an error: only failures and 5xx count.
  const errorRate = r.scheduled ? (r.errors + r.dropped) / r.scheduled : 1;
  return {
    opsPerS: r.opsPerS, p50Ms: r.all.p50Ms, p99Ms: r.all.p99Ms, errorRate, get: r.get, put: r.put, dropped: r.dropped,
    thresholds: [
      { name: `GET p99 <= ${o.p99GetMs} ms`, ok: r.get.p99Ms <= o.p99GetMs, value: `${r.get.p99Ms.toFixed(1)} ms` },
      { name: `PUT p99 <= ${o.p99PutMs} ms`, ok: r.put.p99Ms <= o.p99PutMs, value: `${r.put.p99Ms.toFixed(1)} ms` },
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
