// The console's shell: navigation by #hash, the token form, the error banner and the refresh
// loop. Pages are built on first visit and kept; only the page on screen refreshes, every few
// seconds (REFRESH_MS, or ?refresh=<ms> in the address), and never two refreshes at once.
import { getJson, postJson, getToken, setToken, onUnauthenticated } from './api.js';
import { h, fill } from './dom.js';
import { clock } from './format.js';
import overview from './pages/overview.js';
import nodes from './pages/nodes.js';
import ring from './pages/ring.js';
import transfers from './pages/transfers.js';
import traffic from './pages/traffic.js';
import membership from './pages/membership.js';

const PAGES = [overview, nodes, ring, transfers, traffic, membership];
const REFRESH_MS = Math.max(500, Number(new URLSearchParams(location.search).get('refresh')) || 5000);

const $ = (id) => document.getElementById(id);
const built = new Map();
let current = null;
let refreshing = null;
let timer = null;

/** What a page gets: the API, the banner, and a way to ask for a refresh now. */
const ctx = {
  getJson,
  postJson,
  /** Shows (or with null clears) the fetch-error banner for the page on screen. */
  fetchError(message) {
    const el = $('fetch-error');
    el.hidden = !message;
    el.textContent = message ?? '';
  },
  setNode(id) {
    if (id) $('console-node').textContent = `node ${id}`;
  },
  refreshNow: () => refresh(),
};

function pageFromHash() {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return PAGES.find((p) => p.id === name) ?? PAGES[0];
}

function show() {
  const page = pageFromHash();
  for (const a of $('nav').children) a.classList.toggle('active', a.dataset.page === page.id);
  if (current?.page !== page) {
    if (current) current.view.root.hidden = true;
    let view = built.get(page.id);
    if (!view) {
      view = page.create(ctx);
      built.set(page.id, view);
      $('main').append(view.root);
    }
    view.root.hidden = false;
    current = { page, view };
    document.title = `ringkv · ${page.title}`;
    ctx.fetchError(null);
  }
  void refresh();
}

async function refresh() {
  if (refreshing) return refreshing;
  if (!current) return undefined;
  const { view } = current;
  refreshing = (async () => {
    try {
      await view.refresh();
      $('updated').textContent = `updated ${clock(Date.now())}`;
    } catch (err) {
      // A page bug must not reach the browser's console as an uncaught error; show it instead.
      ctx.fetchError(`the page failed to render: ${err && err.message ? err.message : String(err)}`);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!document.hidden) await refresh();
    schedule();
  }, REFRESH_MS);
}

function askForToken() {
  $('token-form').hidden = false;
  $('token-input').focus();
}

function start() {
  fill($('nav'), PAGES.map((p) => h('a', { href: `#${p.id}`, 'data-page': p.id, testid: `nav-${p.id}` }, p.title)));
  onUnauthenticated(askForToken);
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('token-input').value.trim());
    $('token-input').value = '';
    $('token-form').hidden = true;
    $('sign-out').hidden = false;
    void refresh();
  });
  $('sign-out').hidden = !getToken();
  $('sign-out').addEventListener('click', () => {
    setToken(null);
    $('sign-out').hidden = true;
    void refresh();
  });
  window.addEventListener('hashchange', show);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
  show();
  schedule();
}

// Keeps an unexpected rejection out of the console as an error (the banner shows it).
window.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  ctx.fetchError(`unexpected: ${e.reason && e.reason.message ? e.reason.message : String(e.reason)}`);
});

start();
