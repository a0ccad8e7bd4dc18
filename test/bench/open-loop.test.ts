// The open-loop load of `ringkv bench --scenario mixed` (packages/cli/src/bench/open-loop.ts):
// its schedule, its percentiles, and that a server's stall shows in the latencies as the wait of
// every request scheduled during it (counted from its scheduled time, not from when it was sent).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { latencySummary, runOpenLoop, schedule } from '../../packages/cli/src/bench/open-loop.js';

describe('schedule', () => {
  test.each<[number, number, number[]]>([
    [4, 1, [0, 250, 500, 750]],
    [2, 1.5, [0, 500, 1000]],
    [1000, 0.003, [0, 1, 2]],
    [10, 0, []],
  ])('%d/s for %d s', (rate, s, expected) => {
    expect(schedule(rate, s)).toEqual(expected);
  });
});

describe('latencySummary', () => {
  test('nearest-rank percentiles of the samples, and the maximum', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms, shuffled below
    samples.sort(() => 0.5 - Math.random());
    expect(latencySummary(samples)).toEqual({ count: 1000, p50Ms: 500, p99Ms: 990, p999Ms: 999, maxMs: 1000 });
  });

  test('no samples: zeros', () => {
    expect(latencySummary([])).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 });
  });
});

describe('runOpenLoop against a server that stalls', () => {
  const STALL_MS = 300;
  let server: http.Server;
  let url: string;
  let firstAt: number | undefined;
  const held: http.ServerResponse[] = [];

  beforeAll(async () => {
    // Every request that arrives in the first STALL_MS after the first one is held until then:
    // a closed-loop generator would send (and count) only one request per connection meanwhile.
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const now = Date.now();
        firstAt ??= now;
        if (now - firstAt >= STALL_MS) {
          res.end('ok');
          return;
        }
        held.push(res);
        if (held.length === 1) setTimeout(() => { for (const r of held.splice(0)) r.end('ok'); }, STALL_MS - (now - firstAt));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('every scheduled request is sent on time and answered; the ones scheduled during the stall count its wait', async () => {
    const r = await runOpenLoop({ endpoints: [url], ratePerSec: 100, durationS: 1, readRatio: 0.5, keys: 10, valueBytes: 10, connections: 4 });
    expect(r.scheduled).toBe(100);
    expect(r.get.count + r.put.count).toBe(100);
    expect([r.errors, r.dropped]).toEqual([0, 0]);
    // The first request waited the whole stall (from its scheduled time), whatever the machine's speed.
    expect(r.all.maxMs).toBeGreaterThanOrEqual(STALL_MS * 0.9);
    // And about a third of the requests (those scheduled in the stall) waited part of it; a closed
    // loop on 4 connections would have sent at most 4 of them.
    expect(r.all.p50Ms).toBeLessThan(r.all.maxMs);
  });
});
