// The console's traffic history and its sampler: the byte cap (oldest first out, at least an hour
// kept at the smallest configurable cap even with the most error codes per sample), error codes
// bounded, quantiles from histogram buckets, intervals from cumulative counts, and the sampler's
// timer on the node's clock seam (ticks every 10 s, nothing after stop).
import { describe, expect, test } from '@jest/globals';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { histogramQuantile } from '../../src/console/histogram-quantile.js';
import { TrafficHistory, boundErrors, sampleBytes, type TrafficSample } from '../../src/console/traffic-history.js';
import { TrafficSampler, cumulativeByOp, intervalTraffic } from '../../src/console/traffic-sampler.js';
import { TRAFFIC_ERROR_CODES_MAX } from '../../src/protocol/self-status-schema.js';
import { FastHistogram } from '../../src/observability/fast-histogram.js';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../../test/support/manual-clock.js';

const op = { ops: 1, p50Ms: 1, p99Ms: 2 };
const sample = (atMs: number, errors: [string, number][] = []): TrafficSample => ({ atMs, get: op, put: op, delete: op, errors });

describe('TrafficHistory', () => {
  test('stays within its cap, dropping the oldest first', () => {
    const cap = 50 * sampleBytes(sample(0));
    const h = new TrafficHistory(cap);
    for (let i = 0; i < 5000; i++) {
      h.add(sample(i * 10_000, i % 3 === 0 ? [['QUORUM_UNAVAILABLE', 1]] : []));
      expect(h.usedBytes).toBeLessThanOrEqual(cap);
    }
    const s = h.series();
    expect(s.length).toBe(h.length);
    expect(s[s.length - 1]!.atMs).toBe(4999 * 10_000);
    // Oldest first and contiguous: only the oldest were dropped.
    s.forEach((x, i) => i > 0 && expect(x.atMs - s[i - 1]!.atMs).toBe(10_000));
    expect(s.reduce((sum, x) => sum + sampleBytes(x), 0)).toBe(h.usedBytes);
    expect(h.series(3).map((x) => x.atMs)).toEqual(s.slice(-3).map((x) => x.atMs));
  });

  test('the smallest configurable cap keeps over an hour of samples that each carry the most error codes', () => {
    const worst: [string, number][] = [...Array.from({ length: TRAFFIC_ERROR_CODES_MAX }, (_, i) => [`${'E'.repeat(60)}${String(i).padStart(3, '0')}`, 1] as [string, number]), ['OTHER', 9]];
    const h = new TrafficHistory(CONFIG_SCHEMA.trafficHistoryBytes.min);
    for (let i = 0; i < 2000; i++) h.add(sample(i * 10_000, worst));
    expect(h.length * 10_000).toBeGreaterThan(3_600_000);
    expect(h.usedBytes).toBeLessThanOrEqual(CONFIG_SCHEMA.trafficHistoryBytes.min);
  });

  test('a sample larger than the whole cap is not kept', () => {
    const h = new TrafficHistory(10);
    h.add(sample(1));
    expect([h.length, h.usedBytes]).toEqual([0, 0]);
  });
});

test('boundErrors keeps the most frequent codes and sums the rest under OTHER', () => {
  const counts = new Map(Array.from({ length: TRAFFIC_ERROR_CODES_MAX + 3 }, (_, i) => [`C${i}`, i + 1]));
  counts.set('ZERO', 0);
  const out = boundErrors(counts);
  expect(out).toHaveLength(TRAFFIC_ERROR_CODES_MAX + 1);
  expect(out[0]).toEqual([`C${TRAFFIC_ERROR_CODES_MAX + 2}`, TRAFFIC_ERROR_CODES_MAX + 3]);
  expect(out[out.length - 1]).toEqual(['OTHER', 1 + 2 + 3]);
  expect(boundErrors(new Map([['A', 2], ['B', 2], ['C', 0]]))).toEqual([['A', 2], ['B', 2]]);
});

describe('histogramQuantile', () => {
  const bounds = [0.001, 0.01, 0.1];
  test.each([
    [0.5, [0, 0, 0, 0], null],
    [0.5, [10, 0, 0, 0], 0.0005], // halfway into the first bucket, from 0
    [0.5, [0, 10, 0, 0], 0.0055],
    [0.99, [99, 1, 0, 0], 0.001],
    [0.99, [50, 0, 0, 50], 0.1], // in the overflow bucket: the highest bound
    [1, [0, 0, 4, 0], 0.1],
  ])('q=%d of %j: %j', (q, counts, expected) => {
    const got = histogramQuantile(q, bounds, counts);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 9);
  });
});

describe('intervalTraffic', () => {
  const after = { bounds: [0.001, 0.01], cumulative: [10, 20, 20] };
  test.each([
    ['no histogram yet', undefined, undefined, { ops: 0, p50Ms: null, p99Ms: null }],
    ['first interval (no baseline)', undefined, after, { ops: 20, p50Ms: 1, p99Ms: 9.82 }],
    ['nothing new', [10, 20, 20], after, { ops: 0, p50Ms: null, p99Ms: null }],
    ['ten new in the second bucket', [10, 10, 10], after, { ops: 10, p50Ms: 5.5, p99Ms: 9.91 }],
    ['a reset counts from zero', [50, 60, 60], after, { ops: 20, p50Ms: 1, p99Ms: 9.82 }],
  ])('%s', (_name, before, a, expected) => {
    expect(intervalTraffic(before, a)).toEqual(expected);
  });
});

describe('TrafficSampler', () => {
  function setup(cap = 1 << 20) {
    const registry = new Registry();
    const histogram = new FastHistogram<'op' | 'consistency'>({ name: 'h_seconds', help: 'h', buckets: [0.001, 0.01, 0.1], registers: [registry] });
    const clock = new ManualClock();
    const ops = new Uint32Array(4);
    const delivered = new Map<string, number>();
    const sampler = new TrafficSampler({ clock, kvLatency: histogram, opsByPartition: ops, hintsDelivered: () => delivered, capBytes: cap, diskBytes: async () => 1234 });
    return { histogram, clock, ops, delivered, sampler };
  }

  test('cumulativeByOp sums the consistency levels of each op', async () => {
    const { histogram } = setup();
    histogram.observe('get one', { op: 'get', consistency: 'one' }, 0.0005);
    histogram.observe('get all', { op: 'get', consistency: 'all' }, 0.05);
    histogram.observe('put default', { op: 'put', consistency: 'default' }, 1);
    const by = cumulativeByOp(await histogram.get());
    expect(by.get('get')).toEqual({ bounds: [0.001, 0.01, 0.1], cumulative: [1, 1, 2, 2] });
    expect(by.get('put')).toEqual({ bounds: [0.001, 0.01, 0.1], cumulative: [0, 0, 0, 1] });
    expect(by.has('delete')).toBe(false);
  });

  test('samples every 10 s on the clock it is given: interval ops, quantiles, errors, rates; nothing after stop', async () => {
    const { histogram, clock, ops, delivered, sampler } = setup();
    sampler.start();
    await clock.runTurns();
    expect(sampler.history.length).toBe(0); // the first reading is the baseline
    expect(sampler.diskBytes).toBe(1234);
    for (let i = 0; i < 10; i++) histogram.observe('put default', { op: 'put', consistency: 'default' }, 0.005);
    sampler.recordError('QUORUM_UNAVAILABLE');
    sampler.recordError('QUORUM_UNAVAILABLE');
    sampler.recordError('NOT_FOUND'); // an answer, not an error
    ops[2] = 50;
    delivered.set('n2', 20);
    await clock.wait(10_000);
    await sampler.stop();
    expect(sampler.history.length).toBe(1);
    const s = sampler.history.latest()!;
    expect(s.put.ops).toBe(10);
    expect(s.put.p50Ms).toBeCloseTo(5.5, 6);
    expect(s.get).toEqual({ ops: 0, p50Ms: null, p99Ms: null });
    expect(s.errors).toEqual([['QUORUM_UNAVAILABLE', 2]]);
    expect(s.atMs).toBe(clock.nowMs());
    expect([...sampler.opsPerSecond]).toEqual([[2, 5]]);
    expect([...sampler.deliveredPerSecond]).toEqual([['n2', 2]]);
    expect(clock.pendingTimers).toBe(0);
    await clock.wait(60_000);
    expect(sampler.history.length).toBe(1);
  });
});
