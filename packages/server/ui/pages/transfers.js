// Transfers and repair (GET /cluster/transfers): partition streams with bytes done of total, rate,
// ETA and stalled; hints per (holder, target); anti-entropy per partition, overdue first (the
// endpoint's order). Rows are keyed and updated in place; the repair table shows the first
// AE_ROWS rows (the count of the rest is shown) so a large ring stays cheap to draw.
import { describeFailure } from '../api.js';
import { h, show, flag, KeyedRows, idPart } from '../dom.js';
import { ago, bytes, duration, num, pct, rate, seconds } from '../format.js';

const AE_ROWS = 300;

/** Row keys of streams: the partition, or partition-destination when a partition has several. */
export function streamKeys(streams) {
  const perPartition = new Map();
  for (const s of streams) perPartition.set(s.partition, (perPartition.get(s.partition) ?? 0) + 1);
  return streams.map((s) => (perPartition.get(s.partition) > 1 ? `${s.partition}-${idPart(s.destination)}` : String(s.partition)));
}

function cell(testid, cls) {
  return h('td', { testid, class: cls });
}

function streamRow(key) {
  const c = {
    partition: cell(`transfer-${key}-partition`), source: cell(`transfer-${key}-source`), destination: cell(`transfer-${key}-destination`),
    bytesDone: cell(`transfer-${key}-bytesDone`, 'num'), bytesTotal: cell(`transfer-${key}-bytesTotal`, 'num'),
    rate: cell(`transfer-${key}-rateBytesPerSecond`, 'num'), eta: cell(`transfer-${key}-etaSeconds`, 'num'), stalled: cell(`transfer-${key}-stalled`),
  };
  const fillBar = h('span', { class: 'fill' });
  const progress = h('td', {}, h('span', { class: 'progress', testid: `transfer-${key}-progress` }, fillBar));
  const el = h('tr', { testid: `transfer-${key}` }, c.partition, c.source, c.destination, c.bytesDone, c.bytesTotal, progress, c.rate, c.eta, c.stalled);
  return {
    el,
    update(s) {
      show(c.partition, s.partition);
      show(c.source, s.source);
      show(c.destination, s.destination);
      show(c.bytesDone, s.bytesDone, bytes(s.bytesDone));
      show(c.bytesTotal, s.bytesTotal, s.bytesTotal === null ? 'unknown' : bytes(s.bytesTotal));
      const f = s.bytesTotal ? Math.min(1, s.bytesDone / s.bytesTotal) : null;
      fillBar.style.width = f === null ? '0%' : `${(f * 100).toFixed(1)}%`;
      progress.firstChild.title = f === null ? 'total not known yet' : pct(f);
      show(c.rate, s.rateBytesPerSecond, rate(s.rateBytesPerSecond));
      show(c.eta, s.etaSeconds, seconds(s.etaSeconds));
      show(c.stalled, s.stalled === true, s.stalled ? 'stalled' : 'no');
      flag(el, 'alert', s.stalled === true);
    },
  };
}

function hintRow(key) {
  const f = ['holder', 'target', 'count', 'bytes', 'oldestAgeMs', 'deliveredPerSecond', 'dropped'];
  const c = Object.fromEntries(f.map((k) => [k, cell(`hint-${key}-${k}`, ['holder', 'target'].includes(k) ? '' : 'num')]));
  const el = h('tr', { testid: `hint-${key}` }, f.map((k) => c[k]));
  return {
    el,
    update(x) {
      show(c.holder, x.holder);
      show(c.target, x.target);
      show(c.count, x.count, num(x.count));
      show(c.bytes, x.bytes, bytes(x.bytes));
      show(c.oldestAgeMs, x.oldestAgeMs, x.oldestAgeMs === null ? '–' : duration(x.oldestAgeMs));
      show(c.deliveredPerSecond, x.deliveredPerSecond, `${num(x.deliveredPerSecond, 1)}/s`);
      show(c.dropped, x.dropped, num(x.dropped));
      flag(el, 'alert', (x.dropped ?? 0) > 0);
    },
  };
}

function aeRow(key, now) {
  const f = ['node', 'partition', 'lastCompletedMs', 'keysRepaired', 'overdue'];
  const c = Object.fromEntries(f.map((k) => [k, cell(`ae-${key}-${k}`, k === 'keysRepaired' ? 'num' : '')]));
  const el = h('tr', { testid: `ae-${key}` }, f.map((k) => c[k]));
  return {
    el,
    update(x) {
      show(c.node, x.node);
      show(c.partition, x.partition);
      show(c.lastCompletedMs, x.lastCompletedMs, ago(x.lastCompletedMs, now()));
      show(c.keysRepaired, x.keysRepaired, num(x.keysRepaired));
      show(c.overdue, x.overdue === true, x.overdue ? 'overdue' : 'no');
      flag(el, 'alert', x.overdue === true);
    },
  };
}

function table(testid, headers, tbody, cls = 'scroll') {
  return h('div', { class: cls }, h('table', { class: 'grid-table', testid }, h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))), tbody));
}

export default {
  id: 'transfers',
  title: 'Transfers and repair',
  create(ctx) {
    const streamsBody = h('tbody');
    const hintsBody = h('tbody');
    const aeBody = h('tbody');
    let keys = [];
    const streams = new KeyedRows(streamsBody, (s) => keys[s.__i], streamRow);
    const hints = new KeyedRows(hintsBody, (x) => `${idPart(x.holder)}-${idPart(x.target)}`, hintRow);
    let now = Date.now();
    const ae = new KeyedRows(aeBody, (x) => `${idPart(x.node)}-${x.partition}`, (key) => aeRow(key, () => now));
    const nStreams = h('span', { testid: 'transfers-streams-count' });
    const nHints = h('span', { testid: 'transfers-hints-count' });
    const nAe = h('span', { testid: 'transfers-antiEntropy-count' });
    const nOverdue = h('span', { testid: 'transfers-antiEntropy-overdue' });
    const aeMore = h('p', { class: 'muted small', testid: 'transfers-antiEntropy-more' });
    const noStreams = h('p', { class: 'muted', testid: 'transfers-none' }, 'No partition is moving.');
    const noHints = h('p', { class: 'muted', testid: 'hints-none' }, 'No hints queued.');
    const root = h('section', { class: 'page', testid: 'page-transfers' },
      h('section', { class: 'card' }, h('h2', {}, 'Partition streams ', h('span', { class: 'muted' }, '(', nStreams, ')')), noStreams,
        table('transfers-table', ['partition', 'source', 'destination', 'done', 'total', 'progress', 'rate', 'ETA', 'stalled'], streamsBody)),
      h('section', { class: 'card' }, h('h2', {}, 'Hints per target ', h('span', { class: 'muted' }, '(', nHints, ')')), noHints,
        table('hints-table', ['holder', 'target', 'count', 'bytes', 'oldest', 'delivered', 'dropped'], hintsBody)),
      h('section', { class: 'card' }, h('h2', {}, 'Anti-entropy per partition ', h('span', { class: 'muted' }, '(', nAe, ', overdue ', nOverdue, ')')),
        table('antiEntropy-table', ['node', 'partition', 'last completed round', 'keys repaired', 'overdue'], aeBody, 'scroll tall'), aeMore));
    return {
      root,
      async refresh() {
        const r = await ctx.getJson('/cluster/transfers');
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/transfers'));
          return;
        }
        ctx.fetchError(null);
        now = Date.now();
        const d = r.data;
        const s = (d.streams ?? []).map((x, i) => ({ ...x, __i: i }));
        keys = streamKeys(s);
        streams.update(s);
        noStreams.hidden = s.length > 0;
        show(nStreams, s.length);
        const hs = d.hints ?? [];
        hints.update(hs);
        noHints.hidden = hs.length > 0;
        show(nHints, hs.length);
        const list = d.antiEntropy ?? [];
        ae.update(list.slice(0, AE_ROWS));
        show(nAe, list.length);
        show(nOverdue, list.filter((x) => x.overdue).length);
        aeMore.textContent = list.length > AE_ROWS ? `${list.length - AE_ROWS} more rows not shown (the overdue ones come first)` : '';
      },
    };
  },
};
