// The bench's HTML report, written beside its JSON: one self-contained page (inline SVG, no script,
// no external request) with the results table and charts. The standard mode charts each target's
// ops/s per round (rounds are the run's time axis) and its p99; the paired mode charts every
// window of A and B in the order they ran, and the ratio B/A of each pair.
import { barChart, escapeHtml, lineChart, type Series } from './svg-chart.js';
import type { PairResult, PairedSummary, PairedTarget, RatioSpread } from './paired.js';

export interface BenchRow {
  target: string;
  op: string;
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  non2xx: number;
  ratioToBare?: number;
  cpuUsPerOp?: number;
}

export interface BenchReport {
  at: string;
  options: Record<string, unknown>;
  rows: BenchRow[];
  /** Per round, per target: what was measured (targets in the same order every round). */
  rounds: { target: string; put: { opsPerS: number; p99Ms: number }; get: { opsPerS: number; p99Ms: number } }[][];
}

export interface PairedReport {
  at: string;
  a: PairedTarget;
  b: PairedTarget;
  options: Record<string, unknown>;
  summary: PairedSummary[];
  pairs: PairResult[];
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
h2{margin-top:1.6em}svg{display:block;margin:.5em 0}.muted{color:#777}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body>${body}</body></html>\n`;
}

function table(head: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number, tag: string) => `<${tag}>${escapeHtml(String(v))}</${tag}>`;
  return `<table><tr>${head.map((h) => cell(h, 'th')).join('')}</tr>${rows.map((r) => `<tr>${r.map((v) => cell(v, 'td')).join('')}</tr>`).join('')}</table>`;
}

const fixed = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));

function optionsLine(options: Record<string, unknown>): string {
  const parts = Object.entries(options).filter(([, v]) => v !== undefined && typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`);
  return `<p class="muted">${escapeHtml(parts.join(', '))}</p>`;
}

/** The standard mode: ringkv and the ceiling servers, medians of rounds. */
export function renderBenchHtml(r: BenchReport): string {
  const rows = r.rows.map((row) => [
    row.target, row.op, fixed(row.opsPerS, 0), fixed(row.p50Ms, 2), fixed(row.p99Ms, 2), fixed(row.p999Ms, 2),
    row.errors + (row.op === 'PUT' ? row.non2xx : 0), fixed(row.ratioToBare, 2), fixed(row.cpuUsPerOp, 1),
  ]);
  const targets = r.rounds[0]?.map((t) => t.target) ?? [];
  const perRound = (op: 'put' | 'get', f: 'opsPerS' | 'p99Ms'): Series[] =>
    targets.map((name, i) => ({ name, points: r.rounds.map((round, k) => [k + 1, round[i]?.[op][f] ?? Number.NaN] as [number, number]) }));
  const bars = (op: string, f: 'opsPerS' | 'p99Ms') => r.rows.filter((row) => row.op === op).map((row) => ({ label: row.target, value: row[f] }));
  const body = [
    `<h1>ringkv bench</h1><p>${escapeHtml(r.at)}</p>`, optionsLine(r.options),
    '<h2>Results (median round)</h2>',
    table(['target', 'op', 'ops/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'vs bare', 'cpu µs/op'], rows),
    '<h2>Throughput</h2>', barChart('PUT ops/s', bars('PUT', 'opsPerS')), barChart('GET ops/s', bars('GET', 'opsPerS')),
    '<h2>p99 latency</h2>', barChart('PUT p99 ms', bars('PUT', 'p99Ms')), barChart('GET p99 ms', bars('GET', 'p99Ms')),
    ...(r.rounds.length > 1 ? [
      '<h2>Over the rounds</h2>',
      lineChart('PUT ops/s by round', 'round', perRound('put', 'opsPerS')), lineChart('GET ops/s by round', 'round', perRound('get', 'opsPerS')),
      lineChart('PUT p99 ms by round', 'round', perRound('put', 'p99Ms')), lineChart('GET p99 ms by round', 'round', perRound('get', 'p99Ms')),
    ] : []),
  ];
  return page('ringkv bench', body.join('\n'));
}

/** The paired mode: every window of A and B in the order they ran, and the ratios. */
export function renderPairedHtml(r: PairedReport): string {
  const spread = (s: RatioSpread | undefined) => (s ? [fixed(s.median, 3), `${fixed(s.q1, 3)}–${fixed(s.q3, 3)}`, `${fixed(s.min, 3)}–${fixed(s.max, 3)}`, s.pairs] : ['', '', '', '']);
  const rows = r.summary.flatMap((s) => [[`${s.op} ops/s`, ...spread(s.throughput)], [`${s.op} cpu µs/op`, ...spread(s.cpu)]]);
  const charts = (['PUT', 'GET'] as const).flatMap((op) => {
    const mine = r.pairs.filter((p) => p.op === op);
    if (mine.length === 0) return [];
    const series = (f: (p: PairResult) => number | undefined, name: string): Series => ({ name, points: mine.map((p, i) => [i + 1, f(p) ?? Number.NaN]) });
    return [
      lineChart(`${op} ops/s per window`, 'pair', [series((p) => p.a.opsPerS, `A ${r.a.label}`), series((p) => p.b.opsPerS, `B ${r.b.label}`)]),
      lineChart(`${op} cpu µs/op per window`, 'pair', [series((p) => p.a.cpuUsPerOp, `A ${r.a.label}`), series((p) => p.b.cpuUsPerOp, `B ${r.b.label}`)]),
      lineChart(`${op} ratio B/A per pair`, 'pair', [
        series((p) => p.b.opsPerS / p.a.opsPerS, 'ops/s'),
        series((p) => (p.a.cpuUsPerOp && p.b.cpuUsPerOp ? p.b.cpuUsPerOp / p.a.cpuUsPerOp : undefined), 'cpu µs/op'),
      ]),
    ];
  });
  const body = [
    `<h1>ringkv bench, paired</h1><p>${escapeHtml(r.at)}</p>`,
    `<p>A = ${escapeHtml(r.a.label)} (${escapeHtml(r.a.endpoints.join(', '))}); B = ${escapeHtml(r.b.label)} (${escapeHtml(r.b.endpoints.join(', '))})</p>`,
    optionsLine(r.options),
    '<h2>Ratio B/A over the pairs</h2>', table(['measure', 'median', 'quartiles', 'range', 'pairs'], rows),
    '<p class="muted">cpu below 1: B spends less CPU per request.</p>',
    '<h2>Windows</h2>', ...charts,
  ];
  return page('ringkv bench, paired', body.join('\n'));
}

/** The HTML report's path beside a JSON report's. */
export function htmlPathOf(jsonPath: string): string {
  return jsonPath.endsWith('.json') ? `${jsonPath.slice(0, -'.json'.length)}.html` : `${jsonPath}.html`;
}
