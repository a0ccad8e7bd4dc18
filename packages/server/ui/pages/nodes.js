// Nodes: one row per member from GET /cluster/nodes (docs/console.md), built once per member and
// updated in place. A member that did not answer in time (stale) is marked on its row.
import { describeFailure } from '../api.js';
import { h, show, flag, KeyedRows, idPart } from '../dom.js';
import { bytes, duration, ms, num, pct } from '../format.js';

/** [test id suffix, header, value of a node, text] per column after the id. */
export const NODE_COLUMNS = [
  ['status', 'status', (n) => n.status],
  ['liveness', 'liveness', (n) => n.liveness],
  ['phi', 'φ', (n) => n.phi, (v) => num(v, 2)],
  ['lastHeardAgeMs', 'last heard', (n) => n.lastHeardAgeMs, (v) => (v === null ? '–' : `${duration(v)} ago`)],
  ['clockOffsetMs', 'clock offset', (n) => n.clockOffsetMs, (v) => (v === null ? '–' : `${v > 0 ? '+' : ''}${num(v, 1)} ms`)],
  ['share-now', 'share now', (n) => n.share?.now, pct],
  ['share-afterMoves', 'after moves', (n) => n.share?.afterMoves, pct],
  ['diskBytes', 'disk', (n) => n.diskBytes, bytes],
  ['hints-to', 'hints for it', (n) => n.hints?.to, num],
  ['hints-from', 'hints it holds', (n) => n.hints?.from, num],
  ['streams', 'streams', (n) => n.streams, num],
  ['p99Ms-get', 'p99 get', (n) => n.p99Ms?.get, ms],
  ['p99Ms-put', 'p99 put', (n) => n.p99Ms?.put, ms],
];

function buildRow(key, columns) {
  const id = h('strong', { testid: `node-${key}-id` });
  const zone = h('span', { class: 'muted', testid: `node-${key}-zone` });
  const staleMark = h('span', { class: 'badge stale', testid: `node-${key}-stale`, title: 'this member did not answer in time: its row shows the last part it gave' });
  const http = h('span', { testid: `node-${key}-http` });
  const peer = h('span', { testid: `node-${key}-peer` });
  const addr = h('div', { class: 'muted small' }, 'http ', http, ' · peer ', peer);
  const cells = columns.map(([field]) => h('td', { testid: `node-${key}-${field}` }));
  const el = h('tr', { testid: `node-${key}` }, h('td', {}, id, ' ', zone, ' ', staleMark, addr), ...cells);
  return {
    el,
    update(n) {
      show(id, n.id);
      show(zone, n.zone, n.zone ?? '');
      show(staleMark, n.stale === true, n.stale ? 'stale' : '');
      staleMark.hidden = !n.stale;
      flag(el, 'stale', n.stale === true);
      flag(el, 'down', n.liveness === 'down');
      flag(el, 'suspect', n.liveness === 'suspect');
      show(http, n.http);
      show(peer, n.peer);
      columns.forEach(([, , get, format], i) => {
        const v = get(n);
        show(cells[i], v ?? null, format ? format(v ?? null) : v ?? '–');
        if (i === 1 && cells[i].className !== `liveness-${v}`) cells[i].className = `liveness-${v}`;
      });
    },
  };
}

export default {
  id: 'nodes',
  title: 'Nodes',
  create(ctx) {
    const tbody = h('tbody');
    const count = h('span', { testid: 'nodes-count' });
    const epoch = h('span', { testid: 'nodes-epoch' });
    const rows = new KeyedRows(tbody, (n) => idPart(n.id), (key) => buildRow(key, NODE_COLUMNS));
    const root = h('section', { class: 'page', testid: 'page-nodes' },
      h('section', { class: 'card' },
        h('h2', {}, 'Nodes ', h('span', { class: 'muted' }, '(', count, ' members, epoch ', epoch, ')')),
        h('div', { class: 'scroll' }, h('table', { class: 'grid-table', testid: 'nodes-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'node'), ...NODE_COLUMNS.map(([, label]) => h('th', {}, label)))),
          tbody))));
    return {
      root,
      async refresh() {
        const r = await ctx.getJson('/cluster/nodes');
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/nodes'));
          return;
        }
        ctx.fetchError(null);
        ctx.setNode(r.data.node);
        const list = r.data.nodes ?? [];
        show(count, list.length);
        show(epoch, r.data.epoch);
        rows.update(list);
      },
    };
  },
};
