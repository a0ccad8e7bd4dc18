// Data request latency by operation and consistency level: the level read from the query string
// (as a table, against what the route accepts), one series per (op, level), resolved once.
import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { CONSISTENCY_LABELS, consistencyIndex, KvLatency } from '../../src/observability/kv-latency.js';

const label = (search: string, param: 'r' | 'w') => CONSISTENCY_LABELS[consistencyIndex(search, param)];

describe('consistencyIndex', () => {
  test.each([
    ['', 'r', 'default'],
    ['r=one', 'r', 'one'],
    ['r=quorum', 'r', 'quorum'],
    ['r=all', 'r', 'all'],
    ['r=2', 'r', 'number'],
    ['r=03', 'r', 'number'],
    ['r=1234567890', 'r', 'other'], // longer than any count the route accepts
    ['r=', 'r', 'other'],
    ['r', 'r', 'other'],
    ['r=qu%6Frum', 'r', 'other'], // percent-encoded: not decoded here
    ['r=-1', 'r', 'other'],
    ['r=ones', 'r', 'other'],
    ['local=1', 'r', 'local'],
    ['local=true', 'r', 'local'],
    ['local', 'r', 'local'],
    ['local=0', 'r', 'default'],
    ['local=false&r=all', 'r', 'all'],
    ['r=all&local=1', 'r', 'local'],
    ['w=all', 'r', 'default'], // another route's parameter
    ['ttl=60&w=quorum&strict=1', 'w', 'quorum'],
    ['w=1&ttl=5', 'w', 'number'],
    ['strict=1', 'w', 'default'],
    ['local=1', 'w', 'default'], // writes have no local
    ['ww=all', 'w', 'default'],
    ['rr=one', 'r', 'default'],
    ['&&r=one&', 'r', 'one'],
  ] as const)('%j for %s is %s', (search, param, want) => {
    expect(label(search, param)).toBe(want);
  });
});

async function series(registry: Registry): Promise<Map<string, number>> {
  const [metric] = await registry.getMetricsAsJSON();
  const out = new Map<string, number>();
  for (const v of metric.values) {
    if ((v as { metricName?: string }).metricName?.endsWith('_count')) out.set(`${v.labels.op} ${v.labels.consistency}`, v.value);
  }
  return out;
}

describe('KvLatency', () => {
  test('counts each answered request in the series of its operation and level; other methods are not data requests', async () => {
    const registry = new Registry();
    const latency = new KvLatency(registry, [0.001, 0.01]);
    latency.observe('GET', '', 0.002);
    latency.observe('HEAD', 'r=all', 0.002);
    latency.observe('GET', 'r=all', 0.002);
    latency.observe('PUT', 'w=one&ttl=3', 0.002);
    latency.observe('DELETE', '', 0.002);
    latency.observe('GET', 'local=1', 0.002);
    latency.observe('POST', '', 0.002);
    expect(Object.fromEntries(await series(registry))).toEqual({
      'get default': 1, 'get all': 2, 'put one': 1, 'delete default': 1, 'get local': 1,
    });
  });

  test('a series is resolved once and keeps counting after a reset', async () => {
    const registry = new Registry();
    const latency = new KvLatency(registry, [0.001]);
    latency.observe('PUT', '', 0.5);
    latency.histogram.reset();
    expect((await series(registry)).size).toBe(0);
    latency.observe('PUT', '', 0.5);
    latency.observe('PUT', '', 0.0001);
    expect(Object.fromEntries(await series(registry))).toEqual({ 'put default': 2 });
    expect(await registry.metrics()).toContain('ringkv_kv_request_duration_seconds_bucket{le="0.001",op="put",consistency="default"} 1');
  });

  test('the label sets are bounded: 3 operations times 7 levels whatever the query strings', async () => {
    const registry = new Registry();
    const latency = new KvLatency(registry, [0.001]);
    for (let i = 0; i < 500; i++) {
      latency.observe(['GET', 'PUT', 'DELETE'][i % 3], `r=${i}&w=x${i}&local=${i % 7}&k${i}=v`, 0.001);
    }
    expect((await series(registry)).size).toBeLessThanOrEqual(3 * CONSISTENCY_LABELS.length);
  });
});
