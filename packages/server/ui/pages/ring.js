// Ring: the Q partitions as a grid coloured by replica health (GET /cluster/partitions); a
// partition clicked opens its preference list, pending owners, last Merkle exchange, hints and
// ops/s. Cells are built once for a Q and only change class when their health does.
import { describeFailure } from '../api.js';
import { h, show, fill } from '../dom.js';
import { ago, num } from '../format.js';

const HEALTHS = ['full', 'under', 'belowRead', 'belowWrite', 'unavailable'];

export default {
  id: 'ring',
  title: 'Ring',
  create(ctx) {
    const grid = h('div', { class: 'ring-grid', testid: 'ring-grid' });
    const counts = new Map(HEALTHS.map((k) => [k, h('span', { testid: `ring-count-${k}` })]));
    const legend = h('div', { class: 'legend' }, HEALTHS.map((k) => h('span', { class: `key cell-legend health-${k}` }, `${k} `, counts.get(k))));
    const head = {
      epoch: h('span', { testid: 'ring-epoch' }), replicas: h('span', { testid: 'ring-replicas' }),
      r: h('span', { testid: 'ring-r' }), w: h('span', { testid: 'ring-w' }), q: h('span', { testid: 'ring-q' }),
    };
    const detail = h('section', { class: 'card detail', testid: 'partition-detail', hidden: true });
    let cells = [];
    let byIndex = [];
    let selected = null;

    grid.addEventListener('click', (e) => {
      const cell = e.target.closest('[data-partition]');
      if (!cell) return;
      selected = Number(cell.dataset.partition);
      for (const c of grid.querySelectorAll('.selected')) c.classList.remove('selected');
      cell.classList.add('selected');
      renderDetail();
    });

    function field(label, testid, value, text) {
      const v = h('dd', { testid });
      show(v, value, text);
      return [h('dt', {}, label), v];
    }

    function renderDetail() {
      const p = selected === null ? undefined : byIndex[selected];
      detail.hidden = !p;
      if (!p) return;
      const now = Date.now();
      fill(detail,
        h('h2', {}, `Partition ${p.partition}`),
        h('dl', { class: 'facts' },
          field('partition', 'partition-detail-partition', p.partition),
          field('health', 'partition-detail-health', p.health),
          field('replicas up', 'partition-detail-up', p.up),
          field('preference list', 'partition-detail-replicas', p.replicas, p.replicas.join(' → ')),
          field('pending owners', 'partition-detail-pendingOwners', p.pendingOwners, p.pendingOwners.length ? p.pendingOwners.join(', ') : 'none'),
          field('last Merkle exchange', 'partition-detail-lastMerkleExchangeMs', p.lastMerkleExchangeMs, ago(p.lastMerkleExchangeMs, now)),
          field('hints', 'partition-detail-hints', p.hints, num(p.hints)),
          field('ops/s', 'partition-detail-opsPerSecond', p.opsPerSecond, num(p.opsPerSecond, 1))),
        h('button', { type: 'button', testid: 'partition-detail-close', onclick: () => { selected = null; renderDetail(); for (const c of grid.querySelectorAll('.selected')) c.classList.remove('selected'); } }, 'close'));
    }

    const root = h('section', { class: 'page', testid: 'page-ring' },
      h('section', { class: 'card' },
        h('h2', {}, 'Ring ', h('span', { class: 'muted' }, 'Q=', head.q, ' N=', head.replicas, ' R=', head.r, ' W=', head.w, ' epoch ', head.epoch)),
        legend, grid, h('p', { class: 'muted small' }, 'Click a partition for its replicas, pending owners, repair and traffic.')),
      detail);

    return {
      root,
      async refresh() {
        const r = await ctx.getJson('/cluster/partitions');
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/partitions'));
          return;
        }
        ctx.fetchError(null);
        const d = r.data;
        const parts = d.partitions ?? [];
        show(head.epoch, d.epoch);
        show(head.replicas, d.replicas);
        show(head.r, d.r);
        show(head.w, d.w);
        show(head.q, parts.length);
        if (cells.length !== parts.length) {
          cells = parts.map((p, i) => h('span', { class: 'cell', 'data-partition': String(p.partition ?? i), testid: `ring-partition-${p.partition ?? i}` }));
          fill(grid, cells);
        }
        byIndex = [];
        const tally = new Map(HEALTHS.map((k) => [k, 0]));
        parts.forEach((p, i) => {
          byIndex[p.partition] = p;
          tally.set(p.health, (tally.get(p.health) ?? 0) + 1);
          const cell = cells[i];
          const cls = `cell health-${p.health}${p.pendingOwners?.length ? ' moving' : ''}${selected === p.partition ? ' selected' : ''}`;
          if (cell.className !== cls) cell.className = cls;
          if (cell.dataset.value !== p.health) {
            cell.dataset.value = p.health;
            cell.title = `partition ${p.partition}: ${p.health}`;
          }
        });
        for (const [k, el] of counts) show(el, tally.get(k));
        renderDetail();
      },
    };
  },
};
