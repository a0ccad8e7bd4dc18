// The request-path histogram must export exactly what prom-client's own Histogram would for the
// same observations: same lines, same buckets, same sums, default labels included.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../src/observability/fast-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const series = fc.constantFrom(['GET', '/kv/{key}'], ['PUT', '/kv/{key}'], ['GET', '/health']);

function registries() {
  const theirs = new Registry();
  const ours = new Registry();
  for (const r of [theirs, ours]) r.setDefaultLabels({ node: 'n1' });
  const reference = new Histogram({ name: 'h', help: 'latency', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [theirs] });
  const fast = new FastHistogram<'method' | 'route'>({ name: 'h', help: 'latency', buckets: BUCKETS, registers: [ours] });
  return { theirs, ours, reference, fast };
}

describe('FastHistogram', () => {
  test('exports what prom-client\'s Histogram exports for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(series, fc.oneof(fc.constantFrom(0, ...BUCKETS, 5), fc.double({ min: 0, max: 3, noNaN: true }))), { maxLength: 60 }),
        async (observations) => {
          const { theirs, ours, reference, fast } = registries();
          for (const [[method, route], value] of observations) {
            reference.observe({ method, route }, value);
            fast.observe(`${method} ${route}`, { method, route }, value);
          }
          expect(await ours.metrics()).toBe(await theirs.metrics());
          // The JSON form too, but for exemplars, which this histogram does not keep.
          const withoutExemplars = JSON.parse(JSON.stringify(await theirs.getMetricsAsJSON(), (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
          expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('a value on a bound counts in that bound\'s bucket, and reset() forgets every series', async () => {
    const { ours, fast } = registries();
    fast.observe('GET /', { method: 'GET', route: '/' }, 0.01);
    const text = await ours.metrics();
    expect(text).toContain('h_bucket{le="0.001",node="n1",method="GET",route="/"} 0');
    expect(text).toContain('h_bucket{le="0.01",node="n1",method="GET",route="/"} 1');
    fast.reset();
    expect(await ours.metrics()).not.toContain('h_bucket');
  });

  test('buckets that are not strictly increasing are refused', () => {
    expect(() => new FastHistogram({ name: 'x', help: 'x', buckets: [1, 1], registers: [] })).toThrow(RangeError);
  });
});
