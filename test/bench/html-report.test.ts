// The bench's HTML report (packages/cli/src/bench/html-report.ts): the numbers of the JSON report
// on one self-contained page, text escaped, nothing fetched from elsewhere, no NaN on screen.
import { describe, expect, test } from '@jest/globals';
import { htmlPathOf, renderBenchHtml, renderPairedHtml, type BenchReport, type PairedReport } from '../../packages/cli/src/bench/html-report.js';
import type { WindowResult } from '../../packages/cli/src/bench/paired.js';

const row = (target: string, op: string, opsPerS: number, p99Ms: number, extra: object = {}) => ({
  target, op, opsPerS, p50Ms: p99Ms / 4, p99Ms, p999Ms: p99Ms * 2, errors: 0, non2xx: 0, ...extra,
});
const phase = (opsPerS: number, p99Ms: number) => ({ opsPerS, p99Ms });

const standard: BenchReport = {
  at: '2026-12-07T12:00:00.000Z',
  options: { connections: 64, durationS: 10, keys: 1000, valueBytes: 100, rounds: 3 },
  rows: [
    row('ringkv', 'PUT', 6111, 37, { ratioToBare: 0.255, cpuUsPerOp: 97.4 }), row('ringkv', 'GET', 9633, 12, { ratioToBare: 0.414 }),
    row('bare node:http', 'PUT', 23970, 9, { ratioToBare: 1 }), row('bare node:http', 'GET', 23249, 8, { ratioToBare: 1 }),
  ],
  rounds: [1, 2, 3].map((k) => [
    { target: 'ringkv', put: phase(6000 + k, 30 + k), get: phase(9600 + k, 10 + k) },
    { target: 'bare node:http', put: phase(23900 + k, 9), get: phase(23200 + k, 8) },
  ]),
};

const win = (opsPerS: number, cpuUsPerOp?: number): WindowResult => ({
  opsPerS, requests: opsPerS * 3, p50Ms: 1, p99Ms: 2, p999Ms: 3, errors: 0, non2xx: 0, combined: false, ...(cpuUsPerOp ? { cpuUsPerOp } : {}),
});
const paired: PairedReport = {
  at: '2026-12-07T12:00:00.000Z',
  a: { label: 'main', endpoints: ['http://127.0.0.1:1'] },
  b: { label: '<b>branch</b>', endpoints: ['http://127.0.0.1:2'] },
  options: { pairs: 2, windowS: 3 },
  summary: [
    { op: 'PUT', throughput: { median: 1.125, q1: 1.1, q3: 1.15, min: 1.1, max: 1.15, pairs: 2 }, cpu: { median: 0.875, q1: 0.85, q3: 0.9, min: 0.85, max: 0.9, pairs: 2 } },
    { op: 'GET', throughput: { median: 0.95, q1: 0.9, q3: 1, min: 0.9, max: 1, pairs: 2 } },
  ],
  pairs: [
    { op: 'PUT', first: 'A', a: win(1000, 100), b: win(1100, 90) }, { op: 'PUT', first: 'B', a: win(1000, 100), b: win(1150, 85) },
    { op: 'GET', first: 'A', a: win(2000), b: win(1800) }, { op: 'GET', first: 'B', a: win(2000), b: win(2000) },
  ],
};

/** Refuses what would make the page fetch or run anything. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(/i);
  expect(html).not.toContain('NaN');
  expect(html).not.toContain('undefined');
}

describe('renderBenchHtml', () => {
  const html = renderBenchHtml(standard);

  test('has a row per target and op with the numbers of the JSON report', () => {
    expect(html).toContain('<tr><td>ringkv</td><td>PUT</td><td>6111</td><td>9.25</td><td>37.00</td><td>74.00</td><td>0</td><td>0.26</td><td>97.4</td></tr>');
    expect(html).toContain('<tr><td>ringkv</td><td>GET</td><td>9633</td>');
    expect(html).toContain('<tr><td>bare node:http</td><td>PUT</td><td>23970</td>');
    expect(html).toContain('connections=64, durationS=10, keys=1000, valueBytes=100, rounds=3');
  });

  test('charts throughput and p99 per target, and every round when there are several', () => {
    for (const title of ['PUT ops/s', 'GET ops/s', 'PUT p99 ms', 'GET p99 ms', 'PUT ops/s by round', 'GET p99 ms by round']) {
      expect(html).toContain(`aria-label="${title}"`);
    }
    // One line per target in each of the four round charts, three points each.
    expect(html.match(/<polyline/g)).toHaveLength(8);
    expect(html.match(/<circle/g)).toHaveLength(24);
    expect(renderBenchHtml({ ...standard, rounds: standard.rounds.slice(0, 1) })).not.toContain('by round');
    expectSelfContained(html);
  });

  test('escapes what it shows', () => {
    const hostile = renderBenchHtml({ ...standard, rows: [row('<script>alert(1)</script>', 'PUT', 1, 1)], rounds: [] });
    expect(hostile).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expectSelfContained(hostile);
  });
});

describe('renderPairedHtml', () => {
  const html = renderPairedHtml(paired);

  test('has the ratio table of the summary, and no CPU row values where none were measured', () => {
    expect(html).toContain('<tr><td>PUT ops/s</td><td>1.125</td><td>1.100–1.150</td><td>1.100–1.150</td><td>2</td></tr>');
    expect(html).toContain('<tr><td>PUT cpu µs/op</td><td>0.875</td>');
    expect(html).toContain('<tr><td>GET cpu µs/op</td><td></td><td></td><td></td><td></td></tr>');
    expect(html).toContain('&lt;b&gt;branch&lt;/b&gt;');
  });

  test('charts each window of A and B and the ratio of each pair, leaving out what was not measured', () => {
    expect(html).toContain('aria-label="PUT ops/s per window"');
    expect(html).toContain('aria-label="GET ratio B/A per pair"');
    // PUT: A and B in three charts (ops, cpu, ratio: ops and cpu) = 6 lines of 2 points;
    // GET: the cpu series have no points (lines without points), ops and the ops ratio have 2 each.
    expect(html.match(/<circle/g)).toHaveLength(6 * 2 + 3 * 2);
    expect(html).toContain('aria-label="GET cpu µs/op per window"><text x="64" y="16" font-weight="bold">GET cpu µs/op per window</text><text x="64" y="110">no data</text>');
    expectSelfContained(html);
  });
});

test.each([
  ['bench-results/bench-1.json', 'bench-results/bench-1.html'],
  ['/tmp/r', '/tmp/r.html'],
  ['out.json.bak', 'out.json.bak.html'],
])('htmlPathOf(%s) = %s', (json, html) => expect(htmlPathOf(json)).toBe(html));
