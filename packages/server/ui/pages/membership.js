// Membership: join, decommission and remove from the page. Every change is first previewed with
// POST /cluster/plan (what would move; nothing changes), then committed only after the operator
// typed the node id, through the endpoint the CLI uses (packages/cli/src/commands/cluster.ts):
// decommission of the node serving the page POST /cluster/leave, of another member and remove
// POST /cluster/changes, join POST /cluster/join on the fresh node itself (the node that joins
// must reset its own state, so its own console commits it). A refusal (403 for a read-role token,
// 409 for a refused change) is shown in the error message and nothing changes.
import { describeFailure } from '../api.js';
import { h, show, fill, KeyedRows, idPart } from '../dom.js';
import { bytes, num, pct } from '../format.js';

/** The plan body (as POST /cluster/changes takes it) and the commit request of an action. */
export function changeRequests(action, selfId) {
  const { op, id } = action;
  if (op === 'leave') {
    return { plan: { op: 'leave', id }, commit: id === selfId ? { path: '/cluster/leave', body: {} } : { path: '/cluster/changes', body: { op: 'leave', id } } };
  }
  if (op === 'remove') {
    return { plan: { op: 'remove', id }, commit: { path: '/cluster/changes', body: { op: 'remove', id, ...(action.force ? { force: true } : {}) } } };
  }
  if (op === 'add') {
    const member = { id, peer: action.peer, http: action.http, ...(action.zone ? { zone: action.zone } : {}) };
    // The fresh node knows only itself, so its plan carries the seeds to ask the cluster with (the
    // node asks a seed for the plan: docs/console.md). The commit is the CLI's `cluster join`.
    return { plan: { op: 'add', member, seeds: action.seeds }, commit: { path: '/cluster/join', body: { seeds: action.seeds } } };
  }
  throw new Error(`unknown action ${op}`);
}

const SEED_SPLIT = /[\s,]+/;

export default {
  id: 'membership',
  title: 'Membership',
  create(ctx) {
    let selfId = null;
    let self = null;
    let pending = null;

    const errorBox = h('div', { class: 'banner error', testid: 'error-message', role: 'alert', hidden: true });
    const resultBox = h('div', { class: 'banner ok', testid: 'membership-result', role: 'status', hidden: true });
    const setError = (msg) => {
      errorBox.hidden = !msg;
      errorBox.textContent = msg ?? '';
    };
    const setResult = (msg) => {
      resultBox.hidden = !msg;
      resultBox.textContent = msg ?? '';
    };

    // ---- members with their actions ----
    const tbody = h('tbody');
    const rows = new KeyedRows(tbody, (m) => idPart(m.id), (key) => {
      const id = h('td', { testid: `member-${key}-id` });
      const status = h('td', { testid: `member-${key}-status` });
      const liveness = h('td', { testid: `member-${key}-liveness` });
      const http = h('td', { class: 'muted small', testid: `member-${key}-http` });
      let current = null;
      const leave = h('button', { type: 'button', testid: `member-${key}-leave`, onclick: () => preview({ op: 'leave', id: current.id }) }, 'decommission…');
      const remove = h('button', { type: 'button', testid: `member-${key}-remove`, onclick: () => preview({ op: 'remove', id: current.id }) }, 'remove…');
      const el = h('tr', { testid: `member-${key}` }, id, status, liveness, http, h('td', {}, leave, ' ', remove));
      return {
        el,
        update(m) {
          current = m;
          show(id, m.id, `${m.id}${m.id === selfId ? ' (this node)' : ''}${m.stale ? ' · stale' : ''}`);
          el.classList.toggle('stale', m.stale === true);
          show(status, m.status);
          show(liveness, m.liveness);
          show(http, m.http);
          leave.disabled = m.status === 'leaving';
        },
      };
    });

    // ---- join ----
    const joinAlone = h('div', {},
      h('p', {}, 'This node is alone: it can join a running cluster. Give the peer addresses (HOST:PORT) of some of its members.'));
    const seedsInput = h('input', { type: 'text', testid: 'join-seeds', placeholder: '127.0.0.1:7171, 127.0.0.1:7172', size: 48 });
    const joinForm = h('form', { class: 'inline-form', testid: 'join-form' }, h('label', {}, 'seeds ', seedsInput), h('button', { type: 'submit', testid: 'join-preview' }, 'preview join…'));
    joinForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const seeds = seedsInput.value.split(SEED_SPLIT).map((s) => s.trim()).filter(Boolean);
      if (!self) return;
      if (seeds.length === 0) {
        setError('give at least one seed (HOST:PORT of a member\'s peer port)');
        return;
      }
      void preview({ op: 'add', id: self.id, peer: self.peer, http: self.http, zone: self.zone, seeds });
    });
    const joinMember = h('p', { class: 'muted' }, 'To add a node: start it (fresh, empty) and open its own console (http://<its client address>/ui/#membership); it joins from there. A node started with --seeds joins by itself.');
    const joinBox = h('section', { class: 'card' }, h('h2', {}, 'Join'), joinAlone, joinForm, joinMember);

    // ---- the plan preview and its confirmation ----
    const plan = {
      op: h('span', { testid: 'plan-op' }), id: h('span', { testid: 'plan-id' }),
      partitionsMoving: h('span', { testid: 'plan-partitionsMoving' }), bytesMoving: h('span', { testid: 'plan-bytesMoving' }),
      copiesMoving: h('span', { testid: 'plan-copiesMoving' }), epoch: h('span', { testid: 'plan-epoch' }),
    };
    const sharesBody = h('tbody');
    const confirmInput = h('input', { type: 'text', testid: 'plan-confirm', autocomplete: 'off', spellcheck: 'false' });
    const force = h('input', { type: 'checkbox', testid: 'plan-force' });
    const forceLabel = h('label', { class: 'small' }, force, ' force (remove a node the cluster still hears, or while a previous change is caught up on)');
    const commit = h('button', { type: 'button', testid: 'plan-commit', class: 'danger', disabled: true }, 'commit');
    const cancel = h('button', { type: 'button', testid: 'plan-cancel' }, 'cancel');
    const confirmLabel = h('span', {});
    const planBox = h('section', { class: 'card plan', testid: 'plan', hidden: true },
      h('h2', {}, 'Plan preview'),
      h('p', {}, h('strong', {}, plan.op), ' of ', h('strong', {}, plan.id), ' (planned at epoch ', plan.epoch, '): ', plan.partitionsMoving,
        ' partitions gain an owner, ', plan.copiesMoving, ' copies stream, about ', plan.bytesMoving, '.'),
      h('table', { class: 'grid-table compact', testid: 'plan-shares' }, h('thead', {}, h('tr', {}, h('th', {}, 'member'), h('th', {}, 'share before'), h('th', {}, 'after'))), sharesBody),
      h('p', {}, 'Nothing has changed yet. ', confirmLabel, ' ', confirmInput), forceLabel,
      h('p', {}, commit, ' ', cancel));
    confirmInput.addEventListener('input', () => {
      commit.disabled = !pending || confirmInput.value.trim() !== pending.action.id;
    });
    cancel.addEventListener('click', () => {
      pending = null;
      planBox.hidden = true;
    });
    commit.addEventListener('click', () => void doCommit());

    async function preview(action) {
      setError(null);
      setResult(null);
      const req = changeRequests(action, selfId);
      const r = await ctx.postJson('/cluster/plan', req.plan);
      if (!r.ok) {
        pending = null;
        planBox.hidden = true;
        setError(describeFailure(r, `plan of ${action.op} ${action.id}`));
        return;
      }
      pending = { action, plan: r.data };
      const p = r.data;
      show(plan.op, p.op);
      show(plan.id, p.id);
      show(plan.partitionsMoving, p.partitionsMoving, num(p.partitionsMoving));
      show(plan.bytesMoving, p.bytesMoving, p.bytesMoving === null ? 'unknown bytes (no member reports its disk)' : bytes(p.bytesMoving));
      show(plan.copiesMoving, p.copiesMoving ?? null, num(p.copiesMoving ?? null));
      show(plan.epoch, p.epoch ?? null);
      fill(sharesBody, Object.entries(p.shares ?? {}).map(([id, s]) => {
        const k = idPart(id);
        const before = h('td', { class: 'num', testid: `plan-share-${k}-before` });
        const after = h('td', { class: 'num', testid: `plan-share-${k}-after` });
        show(before, s.before, pct(s.before));
        show(after, s.after, pct(s.after));
        return h('tr', {}, h('td', {}, id), before, after);
      }));
      confirmLabel.textContent = `Type ${action.id} to confirm:`;
      confirmInput.value = '';
      confirmInput.placeholder = action.id;
      force.checked = false;
      forceLabel.hidden = action.op !== 'remove';
      commit.disabled = true;
      commit.textContent = action.op === 'add' ? `join ${action.id}` : action.op === 'leave' ? `decommission ${action.id}` : `remove ${action.id}`;
      planBox.hidden = false;
      confirmInput.focus();
    }

    async function doCommit() {
      if (!pending || confirmInput.value.trim() !== pending.action.id) return;
      const action = { ...pending.action, force: force.checked };
      const req = changeRequests(action, selfId);
      commit.disabled = true;
      const r = await ctx.postJson(req.commit.path, req.commit.body);
      if (!r.ok) {
        setError(describeFailure(r, `${action.op} ${action.id}`));
        commit.disabled = false;
        return;
      }
      pending = null;
      planBox.hidden = true;
      const epoch = r.data && typeof r.data.epoch === 'number' ? ` (epoch ${r.data.epoch})` : '';
      setResult(`${action.op === 'add' ? 'join' : action.op === 'leave' ? 'decommission' : 'remove'} of ${action.id} started${epoch}; the Transfers page follows what moves.`);
      void ctx.refreshNow();
    }

    const root = h('section', { class: 'page', testid: 'page-membership' }, errorBox, resultBox,
      h('section', { class: 'card' }, h('h2', {}, 'Members'),
        h('p', { class: 'muted small' }, 'Changes need an admin token. Decommission streams a node\'s partitions away before it leaves; remove drops a dead node and the survivors re-replicate.'),
        h('div', { class: 'scroll' }, h('table', { class: 'grid-table', testid: 'members-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'node'), h('th', {}, 'status'), h('th', {}, 'liveness'), h('th', {}, 'client address'), h('th', {}, 'change'))), tbody))),
      planBox, joinBox);

    return {
      root,
      async refresh() {
        const r = await ctx.getJson('/cluster/nodes');
        if (!r.ok) {
          ctx.fetchError(describeFailure(r, 'GET /cluster/nodes'));
          return;
        }
        ctx.fetchError(null);
        selfId = r.data.node;
        ctx.setNode(selfId);
        const members = r.data.nodes ?? [];
        self = members.find((m) => m.id === selfId) ?? null;
        rows.update(members);
        const alone = members.length === 1 && self !== null;
        joinAlone.hidden = !alone;
        joinForm.hidden = !alone;
        joinMember.hidden = alone;
      },
    };
  },
};
