// Overview: the verdict and its reasons, nodes by state, partitions by replica health, epoch and
// Raft leader, transfers, hints and the oldest anti-entropy round; all from GET /cluster/health,
// one request whatever the cluster's size. The page is built once; a refresh sets text.
import { describeFailure } from '../api.js';
import { h, show, fill, flag, idPart } from '../dom.js';
import { bytes, duration, num } from '../format.js';

const NODE_STATES = ['total', 'up', 'suspect', 'down', 'joining', 'leaving', 'stale'];
const PARTITION_STATES = [
  ['fullyReplicated', 'fully replicated', 'full'],
  ['underReplicated', 'under-replicated', 'under'],
  ['belowRead', 'below R', 'belowRead'],
  ['belowWrite', 'below W', 'belowWrite'],
  ['unavailable', 'unavailable', 'unavailable'],
];

function tile(label, testid, extra = {}) {
  const value = h('span', { class: 'value', testid }, '–');
  return { el: h('div', { class: 'tile', ...extra }, h('span', { class: 'label' }, label), value), value };
}

export default {
  id: 'overview',
  title: 'Overview',
  create(ctx) {
    const verdict = h('span', { class: 'verdict', testid: 'overview-verdict' }, '…');
    const reasons = h('ul', { class: 'reasons', testid: 'overview-reasons' });
    const node = h('span', { testid: 'overview-node' });
    const epoch = tile('epoch', 'overview-epoch');
    const leader = tile('Raft leader', 'overview-leader');
    const nodeTiles = NODE_STATES.map((k) => ({ k, ...tile(k, `overview-nodes-${k}`, { 'data-state': k }) }));
    const total = tile('partitions (Q)', 'overview-partitions-total');
    const partTiles = PARTITION_STATES.map(([k, label, cls]) => ({ k, ...tile(label, `overview-partitions-${k}`, { class: `tile health-${cls}` }) }));
    const bar = h('div', { class: 'healthbar', testid: 'overview-partitions-bar' });
    const segments = PARTITION_STATES.map(([k, , cls]) => {
      const seg = h('span', { class: `seg health-${cls}`, title: k });
      bar.append(seg);
      return { k, seg };
    });
    const inFlight = tile('transfers in flight', 'overview-transfers-inFlight');
    const hintCount = tile('hints queued', 'overview-hints-count');
    const hintBytes = tile('hint bytes', 'overview-hints-bytes');
    const hintAge = tile('oldest hint', 'overview-hints-oldestAgeMs');
    const aeAge = tile('oldest anti-entropy round', 'overview-antiEntropy-oldestRoundAgeMs');
    const aeOverdue = tile('partitions overdue for repair', 'overview-antiEntropy-overduePartitions');
    const stale = h('ul', { class: 'stale-list', testid: 'overview-stale' });
    const staleBox = h('section', { class: 'card', hidden: true }, h('h2', {}, 'Members that did not answer (stale)'), stale);

    const root = h('section', { class: 'page', testid: 'page-overview' },
      h('section', { class: 'card verdict-card' }, h('div', { class: 'verdict-line' }, 'Cluster is ', verdict, h('span', { class: 'muted' }, ' (as seen by node ', node, ')')), reasons),
      h('section', { class: 'card' }, h('h2', {}, 'Membership'), h('div', { class: 'tiles' }, epoch.el, leader.el, ...nodeTiles.map((t) => t.el))),
      h('section', { class: 'card' }, h('h2', {}, 'Partitions'), h('div', { class: 'tiles' }, total.el, ...partTiles.map((t) => t.el)), bar),
      h('section', { class: 'card' }, h('h2', {}, 'Moving and catching up'), h('div', { class: 'tiles' }, inFlight.el, hintCount.el, hintBytes.el, hintAge.el, aeAge.el, aeOverdue.el)),
      staleBox,
    );

    return {
      root,
      async refresh() {
        const r = await ctx.getJson('/cluster/health');
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/health'));
          return;
        }
        ctx.fetchError(null);
        const d = r.data;
        ctx.setNode(d.node);
        show(verdict, d.verdict);
        for (const v of ['healthy', 'degraded', 'unavailable']) flag(verdict, `verdict-${v}`, d.verdict === v);
        const reasonsText = (d.reasons ?? []).join('\n');
        if (reasons.dataset.text !== reasonsText) {
          reasons.dataset.text = reasonsText;
          fill(reasons, (d.reasons ?? []).map((s, i) => h('li', { testid: `overview-reason-${i}` }, s)));
        }
        show(node, d.node);
        show(epoch.value, d.epoch);
        show(leader.value, d.leader, d.leader ?? 'none');
        for (const t of nodeTiles) {
          show(t.value, d.nodes?.[t.k]);
          flag(t.el, 'alert', t.k !== 'total' && t.k !== 'up' && (d.nodes?.[t.k] ?? 0) > 0);
        }
        show(total.value, d.partitions?.total);
        const q = d.partitions?.total || 0;
        for (const t of partTiles) {
          show(t.value, d.partitions?.[t.k]);
          flag(t.el, 'alert', t.k !== 'fullyReplicated' && (d.partitions?.[t.k] ?? 0) > 0);
        }
        // The bar shows each partition once, in its worst state (the counts nest: below W is also below R).
        const p = d.partitions ?? {};
        const exclusive = {
          fullyReplicated: p.fullyReplicated ?? 0,
          underReplicated: (p.underReplicated ?? 0) - (p.belowRead ?? 0),
          belowRead: (p.belowRead ?? 0) - (p.belowWrite ?? 0),
          belowWrite: (p.belowWrite ?? 0) - (p.unavailable ?? 0),
          unavailable: p.unavailable ?? 0,
        };
        for (const s of segments) s.seg.style.flexGrow = String(q ? Math.max(0, exclusive[s.k]) : 0);
        show(inFlight.value, d.transfers?.inFlight);
        show(hintCount.value, d.hints?.count, num(d.hints?.count));
        show(hintBytes.value, d.hints?.bytes, bytes(d.hints?.bytes));
        show(hintAge.value, d.hints?.oldestAgeMs, d.hints?.oldestAgeMs === null ? 'none' : duration(d.hints?.oldestAgeMs));
        show(aeAge.value, d.antiEntropy?.oldestRoundAgeMs, d.antiEntropy?.oldestRoundAgeMs === null ? 'no round yet' : duration(d.antiEntropy?.oldestRoundAgeMs));
        // Not in docs/console.md's first version: shown when the node gives it.
        aeOverdue.el.hidden = typeof d.antiEntropy?.overduePartitions !== 'number';
        show(aeOverdue.value, d.antiEntropy?.overduePartitions ?? null);
        flag(aeOverdue.el, 'alert', (d.antiEntropy?.overduePartitions ?? 0) > 0);
        const staleIds = d.stale ?? [];
        staleBox.hidden = staleIds.length === 0;
        const staleText = staleIds.join(',');
        if (stale.dataset.text !== staleText) {
          stale.dataset.text = staleText;
          fill(stale, staleIds.map((id) => h('li', { testid: `overview-stale-${idPart(id)}`, class: 'stale' }, id)));
        }
      },
    };
  },
};
