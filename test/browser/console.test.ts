// The console used as a person would, in headless Chromium against a real local cluster of three
// nodes (N=2, R=W=1: one node stopped leaves every partition writable) started by the test:
// - all green: the Overview says healthy and every shown value of the Overview and Nodes pages
//   equals the JSON it came from (the answer the page itself received, exactly; and a fetch of the
//   same endpoint by the test, polled until equal, leaving out ages and rates that move between
//   two requests); the Ring's partition detail equals /cluster/partitions; every page is visited;
// - a node SIGSTOPped turns suspect, then down, on the Nodes page; the verdict degrades and the
//   page's under-replicated count equals /cluster/health's; keys written meanwhile show as hints
//   (Overview, Nodes, Transfers); after SIGCONT they drain to zero on the page;
// - a join from a fresh node's own console: the plan preview equals POST /cluster/plan's answer,
//   the operator types the node id and commits, and the node ends normal with nothing streaming.
// No page logs an error. Screenshots of every page go to test-output/console/.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';
import {
  BROWSER_TESTS, IN_CI, NO_CHROMIUM, differences, encode, expectedNodes, expectedOverview, launch, openPage, screenshot, shown, shownValues,
  type ConsolePage,
} from './browser-support.js';

const ARGS = ['--replicas', '2', '--r', '1', '--w', '1', '--partitions', '32'];
// Down after 8 s of silence, so a stopped node is seen suspect for a few seconds first; the views
// are polled by the pages and the test together, above the default admin rate limit.
const ENV = { RINGKV_CONSOLE_DOWN_AFTER_MS: '8000', RINGKV_ADMIN_REQUESTS_PER_SECOND: '1000' };
/** Fields that move between two requests (ages, measured rates and latencies, disk use). */
const MOVING_OVERVIEW = new Set(['overview-antiEntropy-oldestRoundAgeMs', 'overview-hints-oldestAgeMs']);
const MOVING_NODE = /-(phi|lastHeardAgeMs|clockOffsetMs|p99Ms-get|p99Ms-put|diskBytes)$/;

let nodes: NodeProcess[] = [];
let browser: Browser | undefined;
const pages: ConsolePage[] = [];

async function api<T>(node: NodeProcess, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${node.url}${path}`, init);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A tab on `url`, with every answer of `path` the page receives kept in order. */
async function open(url: string, path?: string): Promise<ConsolePage & { answers: unknown[] }> {
  const cp = await openPage(browser!, 'about:blank');
  pages.push(cp);
  const answers: unknown[] = [];
  if (path) {
    cp.page.on('response', (r) => {
      if (new URL(r.url()).pathname === path && r.ok()) void r.json().then((b) => answers.push(b), () => undefined);
    });
  }
  await cp.page.goto(url);
  return { ...cp, answers };
}

/** Waits until the page shows exactly what the last answer it received says (no newer one came meanwhile). */
async function matchesItsAnswer(page: Page, answers: unknown[], root: string, expected: (ids: string[], body: never) => Record<string, string>): Promise<{ dom: Record<string, string>; body: unknown }> {
  let last: string[] = [];
  return pollUntil(`${root} to show the answer it received (${last.slice(0, 5).join('; ')})`, async () => {
    const n = answers.length;
    if (n === 0) return false;
    const dom = await shownValues(page, root);
    if (answers.length !== n) return false;
    const body = answers[n - 1];
    last = differences(dom, expected(Object.keys(dom), body as never));
    return last.length === 0 ? { dom, body } : false;
  }, { timeoutMs: 15_000, intervalMs: 100 }).catch((err: Error) => {
    throw new Error(`${err.message}: ${last.join('; ')}`);
  });
}

/** Polls until the page and a fetch of the endpoint right after it agree, moving fields left out. */
async function agreesWithFetch(page: Page, root: string, node: NodeProcess, path: string, expected: (ids: string[], body: never) => Record<string, string>, skip: (id: string) => boolean): Promise<Record<string, string>> {
  let last: string[] = [];
  return pollUntil(`${root} to agree with GET ${path}`, async () => {
    const dom = await shownValues(page, root);
    const body = await api<never>(node, path);
    last = differences(dom, expected(Object.keys(dom), body), skip);
    return last.length === 0 ? dom : false;
  }, { timeoutMs: 20_000, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}: ${last.join('; ')}`);
  });
}

/** Text on the page with a digit in it that no data-value stands for (a number without a test id). */
async function numbersWithoutTestId(page: Page, root: string): Promise<string[]> {
  return page.evaluate((rootId) => {
    const out: string[] = [];
    const el = document.querySelector(`[data-testid="${rootId}"]`)!;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const parent = t.parentElement!;
      if (!/\d/.test(t.textContent ?? '') || parent.closest('[hidden]') || parent.closest('[data-value]')) continue;
      if (parent.closest('button, option, label, .label, th, h2, .hint, p.muted')) continue;
      out.push(`${parent.tagName.toLowerCase()}: ${t.textContent!.trim()}`);
    }
    return out;
  }, root);
}

function pageErrors(): string[] {
  return pages.flatMap((p) => p.errors);
}

/** Starts the cluster and the browser side by side; whichever started is kept for afterAll to stop, even if the other failed. */
async function startBoth(cluster: () => Promise<NodeProcess[]>): Promise<void> {
  const [c, b] = await Promise.allSettled([cluster(), launch()]);
  if (c.status === 'fulfilled') nodes = c.value;
  if (b.status === 'fulfilled') browser = b.value;
  for (const r of [c, b]) if (r.status === 'rejected') throw r.reason;
}

const run = BROWSER_TESTS ? describe : describe.skip;

if (!BROWSER_TESTS && IN_CI) {
  test('chromium is installed (the browser tests need it in CI)', () => {
    throw new Error(NO_CHROMIUM);
  });
}

run('console in Chromium on a 3-node cluster', () => {
  beforeAll(async () => {
    await startBoth(() => startCluster({ size: 3, extraArgs: ARGS, env: ENV }));
  }, 60_000);

  afterAll(async () => {
    nodes[2]?.child?.kill('SIGCONT');
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  test('all green: healthy, every value on Overview and Nodes equals its JSON; every page renders', async () => {
    const n1 = nodes[0]!;
    await pollUntil('a healthy verdict', async () => (await api<{ verdict: string }>(n1, '/cluster/health')).verdict === 'healthy', { timeoutMs: 30_000, intervalMs: 200 });

    const overview = await open(`${n1.url}/ui/?refresh=1000#overview`, '/cluster/health');
    const o = await matchesItsAnswer(overview.page, overview.answers, 'page-overview', expectedOverview);
    expect(o.dom['overview-verdict']).toBe('healthy');
    expect(Object.keys(o.dom).length).toBeGreaterThanOrEqual(22);
    for (const id of ['overview-nodes-total', 'overview-partitions-fullyReplicated', 'overview-hints-count', 'overview-epoch', 'overview-leader']) expect(o.dom).toHaveProperty([id]);
    expect([o.dom['overview-nodes-up'], o.dom['overview-partitions-fullyReplicated']]).toEqual(['3', '32']);
    await agreesWithFetch(overview.page, 'page-overview', n1, '/cluster/health', expectedOverview, (id) => MOVING_OVERVIEW.has(id));
    expect(await numbersWithoutTestId(overview.page, 'page-overview')).toEqual([]);
    await screenshot(overview.page, 'overview-healthy');

    const nodesPage = await open(`${n1.url}/ui/?refresh=1000#nodes`, '/cluster/nodes');
    const n = await matchesItsAnswer(nodesPage.page, nodesPage.answers, 'page-nodes', expectedNodes);
    for (const id of ['n1', 'n2', 'n3']) {
      expect(n.dom[`node-${id}-liveness`]).toBe('up');
      expect(Number(n.dom[`node-${id}-share-now`])).toBeGreaterThan(0);
    }
    expect(Object.keys(n.dom).length).toBeGreaterThanOrEqual(3 * 14 + 2);
    await agreesWithFetch(nodesPage.page, 'page-nodes', n1, '/cluster/nodes', expectedNodes, (id) => MOVING_NODE.test(id));
    expect(await numbersWithoutTestId(nodesPage.page, 'page-nodes')).toEqual([]);
    await screenshot(nodesPage.page, 'nodes-healthy');

    // Ring: every cell's health, and a partition's detail, equal /cluster/partitions.
    const ring = await open(`${n1.url}/ui/?refresh=600000#ring`, '/cluster/partitions');
    const parts = await pollUntil('the ring page', async () => (ring.answers.length ? ring.answers[ring.answers.length - 1] as { partitions: { partition: number; health: string; replicas: string[]; pendingOwners: string[]; up: number; hints: number }[] } : false));
    await pollUntil('every ring cell coloured', async () => Object.keys(await shownValues(ring.page, 'ring-grid')).length === 32);
    const cells = await ring.page.evaluate(() => [...document.querySelectorAll('[data-testid^="ring-partition-"]')].map((c) => [c.getAttribute('data-testid'), c.dataset.value]));
    expect(cells).toEqual(parts.partitions.map((p) => [`ring-partition-${p.partition}`, p.health]));
    await ring.page.click('[data-testid="ring-partition-5"]');
    const p5 = parts.partitions[5]!;
    const detail = await pollUntil('the partition detail', async () => {
      const v = await shownValues(ring.page, 'partition-detail');
      return Object.keys(v).length > 0 ? v : false;
    });
    expect(detail).toMatchObject({
      'partition-detail-partition': '5', 'partition-detail-health': p5.health, 'partition-detail-up': encode(p5.up),
      'partition-detail-replicas': encode(p5.replicas), 'partition-detail-pendingOwners': encode(p5.pendingOwners), 'partition-detail-hints': encode(p5.hints),
    });
    await screenshot(ring.page, 'ring-partition-5');

    for (const [hash, root] of [['transfers', 'page-transfers'], ['traffic', 'page-traffic'], ['membership', 'page-membership']] as const) {
      const cp = await open(`${n1.url}/ui/?refresh=1000#${hash}`);
      await cp.page.waitForSelector(`[data-testid="${root}"]`);
      await pollUntil(`${hash} filled`, async () => Object.keys(await shownValues(cp.page, root)).length > 0);
      if (hash === 'traffic') expect(await shown(cp.page, 'traffic-capBytes')).toBe(String(3 * 1024 * 1024));
      if (hash === 'membership') expect(await shown(cp.page, 'member-n3-status')).toBe('normal');
      await screenshot(cp.page, `${hash}-healthy`);
    }
    expect(pageErrors()).toEqual([]);
  }, 90_000);

  test('a node SIGSTOPped: suspect then down on the Nodes page, degraded, under-replicated as in the JSON; hints shown, then drained after SIGCONT', async () => {
    const [n1, , n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const nodesPage = await open(`${n1.url}/ui/?refresh=500#nodes`);
    await pollUntil('n3 up on the page', async () => (await shown(nodesPage.page, 'node-n3-liveness')) === 'up');
    n3.child!.kill('SIGSTOP');
    try {
      await stoppedThenResumed(n1, n3, nodesPage);
    } finally {
      // Resumed already unless it failed: the next test needs n3 running either way.
      n3.child!.kill('SIGCONT');
    }
    expect(pageErrors()).toEqual([]);
  }, 120_000);

  async function stoppedThenResumed(n1: NodeProcess, n3: NodeProcess, nodesPage: ConsolePage): Promise<void> {
    const seen: string[] = [];
    await pollUntil('n3 down on the Nodes page', async () => {
      const v = await shown(nodesPage.page, 'node-n3-liveness');
      if (v && seen[seen.length - 1] !== v) {
        seen.push(v);
        if (v === 'suspect') await screenshot(nodesPage.page, 'nodes-n3-suspect');
      }
      return v === 'down';
    }, { timeoutMs: 45_000, intervalMs: 100 });
    expect(seen).toEqual(['up', 'suspect', 'down']);
    expect(await shown(nodesPage.page, 'node-n3-stale')).toBe('true');
    await screenshot(nodesPage.page, 'nodes-n3-down');

    const overview = await open(`${n1.url}/ui/?refresh=500#overview`);
    await pollUntil('a degraded verdict on the page', async () => (await shown(overview.page, 'overview-verdict')) === 'degraded', { timeoutMs: 20_000 });
    const under = await pollUntil('the page\'s under-replicated count to equal /cluster/health\'s', async () => {
      const onPage = await shown(overview.page, 'overview-partitions-underReplicated');
      const health = await api<{ partitions: { underReplicated: number } }>(n1, '/cluster/health');
      return onPage === String(health.partitions.underReplicated) ? health.partitions.underReplicated : false;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    expect(under).toBeGreaterThan(0);
    expect(await shown(overview.page, 'overview-partitions-belowWrite')).toBe('0');
    expect(await overview.page.textContent('[data-testid="overview-reasons"]')).toContain('1 member is down');

    // Writes while n3 is stopped: its replicas' copies wait as hints on the others.
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${n1.url}/kv/hinted-${i}`, { method: 'PUT', body: `v${i}` });
      expect(res.status).toBe(204);
    }
    const hinted = await pollUntil('hints for n3 on the Overview', async () => {
      const v = Number(await shown(overview.page, 'overview-hints-count'));
      return v > 0 ? v : false;
    }, { timeoutMs: 20_000 });
    await pollUntil('the page\'s hint count to equal /cluster/health\'s', async () => {
      const health = await api<{ hints: { count: number } }>(n1, '/cluster/health');
      return (await shown(overview.page, 'overview-hints-count')) === String(health.hints.count);
    });
    await screenshot(overview.page, 'overview-degraded-hints');
    await nodesPage.page.evaluate(() => { location.hash = '#nodes'; });
    await pollUntil('hints for n3 on the Nodes page', async () => Number(await shown(nodesPage.page, 'node-n3-hints-to')) > 0);
    const transfers = await open(`${n1.url}/ui/?refresh=500#transfers`);
    // Writes whose copy for n3 timed out become hints a little later: poll until the rows add up.
    await pollUntil('hint rows for n3 adding up to /cluster/health\'s count', async () => {
      const v = await shownValues(transfers.page, 'hints-table');
      const counts = Object.entries(v).filter(([id]) => /^hint-.+-n3-count$/.test(id)).map(([, x]) => Number(x));
      const health = await api<{ hints: { count: number } }>(n1, '/cluster/health');
      return counts.length > 0 && counts.every((c) => c > 0) && counts.reduce((a, b) => a + b, 0) === health.hints.count;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    expect(hinted).toBeGreaterThan(0);
    await screenshot(transfers.page, 'transfers-hints');

    n3.child!.kill('SIGCONT');
    await pollUntil('hints drained to zero on the Overview', async () => (await shown(overview.page, 'overview-hints-count')) === '0', { timeoutMs: 30_000 });
    expect((await api<{ hints: { count: number } }>(n1, '/cluster/health')).hints.count).toBe(0);
    // A target's row stays while its delivery rate is above 0: the rate is sampled every 10 s, so the
    // row goes up to two samples after the last hint was delivered.
    await pollUntil('no hint rows on Transfers', async () => (await transfers.page.isVisible('[data-testid="hints-none"]')), { timeoutMs: 30_000 });
    await pollUntil('n3 up again on the Nodes page', async () => (await shown(nodesPage.page, 'node-n3-liveness')) === 'up', { timeoutMs: 20_000 });
    await pollUntil('healthy again', async () => (await shown(overview.page, 'overview-verdict')) === 'healthy', { timeoutMs: 30_000 });
    await screenshot(overview.page, 'overview-recovered');
  }

  test('a join from a fresh node\'s console: the preview equals POST /cluster/plan, commit after typing the id, the node ends normal', async () => {
    const n1 = nodes[0]!;
    const n4 = await makeNode({ id: 'n4', secret: E2E_SECRET, extraArgs: ARGS, env: { RINGKV_GOSSIP_INTERVAL_MS: '200', ...ENV } });
    n4.start();
    await n4.waitReady();
    const m = await open(`${n4.url}/ui/?refresh=500#membership`, '/cluster/plan');
    await m.page.waitForSelector('[data-testid="join-form"]:not([hidden])');
    await m.page.fill('[data-testid="join-seeds"]', n1.peer);
    await m.page.click('[data-testid="join-preview"]');
    await m.page.waitForSelector('[data-testid="plan"]:not([hidden])', { timeout: 15_000 });
    const shownPlan = await shownValues(m.page, 'plan');

    const body = { op: 'add', member: { id: 'n4', peer: n4.peer, http: `127.0.0.1:${n4.opts.httpPort}` }, seeds: [n1.peer] };
    const plan = await api<{ op: string; id: string; epoch: number; partitionsMoving: number; copiesMoving: number; bytesMoving: number | null; shares: Record<string, { before: number; after: number }> }>(
      n4, '/cluster/plan', { method: 'POST', headers: { 'content-type': 'application/json', 'x-ringkv-console': '1' }, body: JSON.stringify(body) });
    // bytesMoving estimates from the members' disk sizes, which move as their engines write and
    // compact between two plans: the page shows exactly its own answer, which equals a plan made
    // right after in everything else.
    const withoutBytes = <T extends { bytesMoving: unknown }>(x: T) => ({ ...x, bytesMoving: typeof x.bytesMoving });
    expect(m.answers).toHaveLength(1);
    const pagePlan = m.answers[0] as typeof plan;
    expect(withoutBytes(pagePlan)).toEqual(withoutBytes(plan));
    const want: Record<string, string> = {
      'plan-op': plan.op, 'plan-id': plan.id, 'plan-epoch': encode(plan.epoch), 'plan-partitionsMoving': encode(plan.partitionsMoving),
      'plan-copiesMoving': encode(plan.copiesMoving), 'plan-bytesMoving': encode(pagePlan.bytesMoving),
    };
    for (const [id, s] of Object.entries(plan.shares)) {
      want[`plan-share-${id}-before`] = encode(s.before);
      want[`plan-share-${id}-after`] = encode(s.after);
    }
    expect(shownPlan).toEqual(want);
    expect(plan.partitionsMoving).toBeGreaterThan(0);
    expect(Object.keys(plan.shares).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // The cluster's plan: n1 gives the same answer for the same add.
    const { seeds: _seeds, ...add } = body;
    expect(await api(n1, '/cluster/plan', { method: 'POST', headers: { 'content-type': 'application/json', 'x-ringkv-console': '1' }, body: JSON.stringify(add) }).then((x) => withoutBytes(x as typeof plan))).toEqual(withoutBytes(plan));
    await screenshot(m.page, 'membership-join-preview');

    // The commit stays off until the id is typed.
    expect(await m.page.isDisabled('[data-testid="plan-commit"]')).toBe(true);
    await m.page.fill('[data-testid="plan-confirm"]', 'n');
    expect(await m.page.isDisabled('[data-testid="plan-commit"]')).toBe(true);
    await m.page.fill('[data-testid="plan-confirm"]', 'n4');
    await m.page.click('[data-testid="plan-commit"]');
    await m.page.waitForSelector('[data-testid="membership-result"]:not([hidden])');
    expect(await m.page.isHidden('[data-testid="error-message"]')).toBe(true);

    // Joining first (in the cluster's membership now), then normal once it holds what it owns.
    const statuses: string[] = [];
    await pollUntil('n4 normal on its own console, as a member of four', async () => {
      const status = await shown(m.page, 'member-n4-status');
      const members = (await shownValues(m.page, 'members-table'));
      const four = ['n1', 'n2', 'n3', 'n4'].every((id) => members[`member-${id}-id`] === id);
      if (four && status && statuses[statuses.length - 1] !== status) statuses.push(status);
      return four && status === 'normal';
    }, { timeoutMs: 60_000, intervalMs: 100 }).catch(async (err: Error) => {
      throw new Error(`${err.message}; seen ${statuses.join(', ')}; n1 /cluster: ${JSON.stringify(await api(n1, '/cluster')).slice(0, 3000)}\nn4:\n${n4.output.slice(-3000)}`);
    });
    // Every member learns the epoch that made n4 normal.
    for (const n of [...nodes, n4]) {
      await pollUntil(`${n.opts.id} to see n4 normal`, async () => {
        const cluster = await api<{ members: { id: string; status: string }[] }>(n, '/cluster');
        return cluster.members.map((x) => `${x.id} ${x.status}`).join(', ') === 'n1 normal, n2 normal, n3 normal, n4 normal';
      }, { timeoutMs: 20_000, intervalMs: 200 });
    }
    await screenshot(m.page, 'membership-joined');
    const t = await open(`${n4.url}/ui/?refresh=500#transfers`);
    await pollUntil('nothing streaming on n4\'s Transfers page', async () => (await shown(t.page, 'transfers-streams-count')) === '0' && (await t.page.isVisible('[data-testid="transfers-none"]')), { timeoutMs: 30_000 });
    const np = await open(`${n4.url}/ui/?refresh=500#nodes`);
    await pollUntil('n4\'s share after moves reached', async () => {
      const now = await shown(np.page, 'node-n4-share-now');
      return now !== null && now !== '0' && now === (await shown(np.page, 'node-n4-share-afterMoves')) && now === encode(plan.shares.n4!.after);
    }, { timeoutMs: 30_000 });
    await screenshot(t.page, 'transfers-after-join');
    await screenshot(np.page, 'nodes-after-join');
    expect(pageErrors()).toEqual([]);
  }, 120_000);
});
