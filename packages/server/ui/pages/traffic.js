// Traffic (GET /cluster/traffic?node=<id>|all): ops/s and p50/p99 of get, put and delete and
// errors by code over the last hour, per node or summed, from each node's bounded in-memory
// history (its byte cap and use shown). Charts are inline SVG updated in place (chart.js).
import { describeFailure } from '../api.js';
import { h, show, fill, idPart } from '../dom.js';
import { bytes, clock, duration, ms, num } from '../format.js';
import { lineChart } from '../chart.js';

const OPS = ['get', 'put', 'delete'];
const WINDOWS = [['1 h', 3_600_000], ['15 min', 900_000], ['6 h', 21_600_000], ['all kept', Infinity]];

/** Operations per second of one sample: `ops` counts one resolution interval. */
export function opsPerSecond(sample, op, resolutionMs) {
  const ops = sample?.[op]?.ops;
  return typeof ops === 'number' && resolutionMs > 0 ? ops / (resolutionMs / 1000) : null;
}

/** The error codes seen in a series, most frequent first (bounded: codes are a fixed set). */
export function errorCodes(series) {
  const total = new Map();
  for (const s of series) for (const [code, n] of Object.entries(s.errors ?? {})) total.set(code, (total.get(code) ?? 0) + n);
  return [...total].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([code]) => code);
}

export default {
  id: 'traffic',
  title: 'Traffic',
  create(ctx) {
    let node = 'all';
    let windowMs = WINDOWS[0][1];
    const select = h('select', { testid: 'traffic-node', 'aria-label': 'node' }, h('option', { value: 'all' }, 'all nodes (summed; worst p99)'));
    select.addEventListener('change', () => {
      node = select.value;
      void ctx.refreshNow();
    });
    const windowSelect = h('select', { testid: 'traffic-window', 'aria-label': 'window' }, WINDOWS.map(([label, w]) => h('option', { value: String(w) }, label)));
    windowSelect.addEventListener('change', () => {
      windowMs = Number(windowSelect.value);
      void ctx.refreshNow();
    });
    const meta = {
      resolutionMs: h('span', { testid: 'traffic-resolutionMs' }), capBytes: h('span', { testid: 'traffic-capBytes' }),
      usedBytes: h('span', { testid: 'traffic-usedBytes' }), samples: h('span', { testid: 'traffic-samples' }),
      span: h('span', { testid: 'traffic-span' }),
    };
    const latest = new Map();
    const latestRows = OPS.map((op) => {
      const cells = ['ops', 'p50Ms', 'p99Ms'].map((f) => {
        const el = h('td', { class: 'num', testid: `traffic-last-${op}-${f}` });
        latest.set(`${op}-${f}`, el);
        return el;
      });
      const perSecond = h('td', { class: 'num', testid: `traffic-last-${op}-opsPerSecond` });
      latest.set(`${op}-rate`, perSecond);
      return h('tr', {}, h('th', {}, op), ...cells, perSecond);
    });
    const errorsBody = h('tbody');
    const charts = h('div', { class: 'charts' });
    const opsChart = lineChart(charts, { title: 'operations per second', format: (v) => num(v, v < 10 ? 1 : 0), testid: 'traffic-chart-ops' });
    const p99Chart = lineChart(charts, { title: 'p99 latency', format: ms, testid: 'traffic-chart-p99' });
    const p50Chart = lineChart(charts, { title: 'p50 latency', format: ms, testid: 'traffic-chart-p50' });
    const errChart = lineChart(charts, { title: 'errors per second by code', format: (v) => num(v, 2), testid: 'traffic-chart-errors' });
    let knownNodes = '';

    const root = h('section', { class: 'page', testid: 'page-traffic' },
      h('section', { class: 'card' },
        h('div', { class: 'controls' }, h('label', {}, 'node ', select), h('label', {}, 'window ', windowSelect)),
        h('p', { class: 'muted small' }, 'one sample every ', meta.resolutionMs, ' ms; ', meta.samples, ' samples kept over ', meta.span,
          '; history ', meta.usedBytes, ' of its cap ', meta.capBytes, ' (per node, in memory; the oldest samples go first)'),
        h('table', { class: 'grid-table compact', testid: 'traffic-latest' },
          h('thead', {}, h('tr', {}, h('th', {}, 'last sample'), h('th', {}, 'ops'), h('th', {}, 'p50'), h('th', {}, 'p99'), h('th', {}, 'ops/s'))),
          h('tbody', {}, latestRows)),
        h('table', { class: 'grid-table compact', testid: 'traffic-errors' },
          h('thead', {}, h('tr', {}, h('th', {}, 'error code'), h('th', {}, 'in the window'), h('th', {}, 'last sample'))), errorsBody)),
      h('section', { class: 'card' }, charts));

    async function refreshNodes() {
      const r = await ctx.getJson('/cluster/nodes');
      if (!r.ok) return;
      const ids = (r.data.nodes ?? []).map((n) => n.id);
      const joined = ids.join(',');
      if (joined === knownNodes) return;
      knownNodes = joined;
      fill(select, h('option', { value: 'all' }, 'all nodes (summed; worst p99)'), ids.map((id) => h('option', { value: id }, id)));
      if (node !== 'all' && !ids.includes(node)) node = 'all';
      select.value = node;
    }

    return {
      root,
      async refresh() {
        const [r] = await Promise.all([ctx.getJson(`/cluster/traffic?node=${encodeURIComponent(node)}`), refreshNodes()]);
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/traffic'));
          return;
        }
        ctx.fetchError(null);
        const d = r.data;
        const all = d.series ?? [];
        show(meta.resolutionMs, d.resolutionMs, num(d.resolutionMs));
        show(meta.capBytes, d.capBytes, bytes(d.capBytes));
        show(meta.usedBytes, d.usedBytes, bytes(d.usedBytes));
        show(meta.samples, all.length);
        const spanMs = all.length > 1 ? all[all.length - 1].atMs - all[0].atMs : 0;
        show(meta.span, spanMs, duration(spanMs));
        const last = all[all.length - 1];
        for (const op of OPS) {
          show(latest.get(`${op}-ops`), last?.[op]?.ops ?? null, num(last?.[op]?.ops ?? null));
          show(latest.get(`${op}-p50Ms`), last?.[op]?.p50Ms ?? null, ms(last?.[op]?.p50Ms ?? null));
          show(latest.get(`${op}-p99Ms`), last?.[op]?.p99Ms ?? null, ms(last?.[op]?.p99Ms ?? null));
          const rate = last ? opsPerSecond(last, op, d.resolutionMs) : null;
          show(latest.get(`${op}-rate`), rate, num(rate, 1));
        }
        const x1 = last ? last.atMs : Date.now();
        // The window, or less while the history is shorter (the lines then fill the chart).
        const first = all[0]?.atMs ?? x1;
        const x0 = Number.isFinite(windowMs) ? Math.max(x1 - windowMs, first) : first;
        const shown = all.filter((s) => s.atMs >= x0);
        const label = (x) => clock(x);
        opsChart.update(OPS.map((op) => ({ name: op, cls: `s-${op}`, points: shown.map((s) => [s.atMs, opsPerSecond(s, op, d.resolutionMs)]) })), x0, x1, label);
        p99Chart.update(OPS.map((op) => ({ name: op, cls: `s-${op}`, points: shown.map((s) => [s.atMs, s[op]?.p99Ms ?? null]) })), x0, x1, label);
        p50Chart.update(OPS.map((op) => ({ name: op, cls: `s-${op}`, points: shown.map((s) => [s.atMs, s[op]?.p50Ms ?? null]) })), x0, x1, label);
        const codes = errorCodes(shown);
        errChart.update(codes.map((code, i) => ({ name: code, cls: `s-err${i % 6}`, points: shown.map((s) => [s.atMs, (s.errors?.[code] ?? 0) / (d.resolutionMs / 1000)]) })), x0, x1, label);
        fill(errorsBody, codes.length
          ? codes.map((code) => {
            const inWindow = h('td', { class: 'num', testid: `traffic-errors-${idPart(code)}-window` });
            const lastCount = h('td', { class: 'num', testid: `traffic-errors-${idPart(code)}-last` });
            show(inWindow, shown.reduce((a, s) => a + (s.errors?.[code] ?? 0), 0));
            show(lastCount, last?.errors?.[code] ?? 0);
            return h('tr', {}, h('td', {}, code), inWindow, lastCount);
          })
          : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no errors in the window')));
      },
    };
  },
};
