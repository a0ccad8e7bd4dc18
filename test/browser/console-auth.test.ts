// The console with auth on, in headless Chromium against a real 2-node cluster started with
// --auth-file: the page asks for a token; a read-role token views the cluster (the Overview equals
// /cluster/health) but changes nothing: its plan preview is 403, and a commit made with it (after
// an admin previewed, then the read token took the tab over) shows the 403 in error-message while
// the membership stays as it was (GET /cluster). Chromium's own line for each deliberate 401/403
// is the only console error allowed (exact match). Screenshots go to test-output/console/.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';
import { stopAll, tempDir, type NodeProcess } from '../support/processes.js';
import {
  BROWSER_TESTS, RESOURCE_401, RESOURCE_403, differences, expectedOverview, launch, openPage, screenshot, shown, shownValues, type ConsolePage,
} from './browser-support.js';

// page.evaluate runs in the page; the tests compile without the DOM library.
declare const location: { hash: string };

const READ = randomBytes(32).toString('base64url');
const ADMIN = randomBytes(32).toString('base64url');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let nodes: NodeProcess[] = [];
let browser: Browser | undefined;
const pages: ConsolePage[] = [];

async function api<T>(node: NodeProcess, p: string, token = ADMIN): Promise<T> {
  const res = await fetch(`${node.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function signIn(cp: ConsolePage, token: string): Promise<void> {
  await cp.page.waitForSelector('[data-testid="token-form"]:not([hidden])');
  await cp.page.fill('[data-testid="token-input"]', token);
  await cp.page.click('[data-testid="token-submit"]');
  await cp.page.waitForSelector('[data-testid="token-form"]', { state: 'hidden' });
}

/** Starts the cluster and the browser side by side; whichever started is kept for afterAll to stop, even if the other failed. */
async function startBoth(cluster: () => Promise<NodeProcess[]>): Promise<void> {
  const [c, b] = await Promise.allSettled([cluster(), launch()]);
  if (c.status === 'fulfilled') nodes = c.value;
  if (b.status === 'fulfilled') browser = b.value;
  for (const r of [c, b]) if (r.status === 'rejected') throw r.reason;
}

const run = BROWSER_TESTS ? describe : describe.skip;

run('console in Chromium with auth on', () => {
  beforeAll(async () => {
    const dir = tempDir('ringkv-console-auth-');
    const authFile = path.join(dir, 'auth.yaml');
    writeFileSync(authFile, `principals:\n- name: viewer\n  role: read\n  token_sha256: ${sha(READ)}\n- name: operator\n  role: admin\n  token_sha256: ${sha(ADMIN)}\n`);
    await startBoth(() => startCluster({ size: 2, extraArgs: ['--replicas', '2', '--partitions', '16', '--auth-file', authFile], env: { RINGKV_ADMIN_REQUESTS_PER_SECOND: '1000' } }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  test('a read-role token views the cluster but cannot change it: 403 shown, membership unchanged', async () => {
    const n1 = nodes[0]!;
    const before = await pollUntil('both members up', async () => {
      const c = await api<{ epoch: number; members: { id: string; status: string; alive: boolean }[] }>(n1, '/cluster');
      return c.members.length === 2 && c.members.every((m) => m.alive) ? c : false;
    }, { timeoutMs: 30_000 });

    const cp = await openPage(browser!, 'about:blank', [RESOURCE_401, RESOURCE_403]);
    pages.push(cp);
    const answers: unknown[] = [];
    cp.page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/cluster/health' && r.ok()) void r.json().then((b) => answers.push(b), () => undefined);
    });
    await cp.page.goto(`${n1.url}/ui/?refresh=1000#overview`);
    await screenshot(cp.page, 'auth-token-form');
    await signIn(cp, READ);
    // Viewing: the Overview shows what /cluster/health answered the read token.
    let diff: string[] = [];
    await pollUntil('the Overview to show its answer', async () => {
      const n = answers.length;
      const dom = await shownValues(cp.page, 'page-overview');
      if (n === 0 || answers.length !== n) return false;
      diff = differences(dom, expectedOverview(Object.keys(dom), answers[n - 1]));
      return diff.length === 0 && dom['overview-verdict'] !== undefined;
    }, { timeoutMs: 15_000 }).catch((err: Error) => {
      throw new Error(`${err.message}: ${diff.join('; ')}`);
    });
    expect(await shown(cp.page, 'overview-nodes-total')).toBe('2');
    await screenshot(cp.page, 'auth-read-overview');

    // A change previewed with the read token: POST /cluster/plan is admin, so 403 at once.
    await cp.page.evaluate(() => { location.hash = '#membership'; });
    await cp.page.waitForSelector('[data-testid="member-n2-remove"]');
    await cp.page.click('[data-testid="member-n2-remove"]');
    await cp.page.waitForSelector('[data-testid="error-message"]:not([hidden])');
    expect(await cp.page.textContent('[data-testid="error-message"]')).toMatch(/: 403 FORBIDDEN/);
    expect(await cp.page.isHidden('[data-testid="plan"]')).toBe(true);
    await screenshot(cp.page, 'auth-read-plan-403');

    // An admin previews a decommission; then the read token takes the tab over and commits.
    await cp.page.click('[data-testid="token-clear"]');
    await cp.page.evaluate(() => { location.hash = '#overview'; });
    await signIn(cp, ADMIN);
    await cp.page.evaluate(() => { location.hash = '#membership'; });
    await cp.page.click('[data-testid="member-n2-leave"]');
    await cp.page.waitForSelector('[data-testid="plan"]:not([hidden])');
    expect(await shown(cp.page, 'plan-op')).toBe('leave');
    expect(await cp.page.isHidden('[data-testid="error-message"]')).toBe(true);
    await cp.page.click('[data-testid="token-clear"]');
    await cp.page.waitForSelector('[data-testid="token-form"]:not([hidden])');
    await signIn(cp, READ);
    await cp.page.fill('[data-testid="plan-confirm"]', 'n2');
    await cp.page.click('[data-testid="plan-commit"]');
    await pollUntil('the commit refused on the page', async () => /leave n2: 403 FORBIDDEN/.test((await cp.page.textContent('[data-testid="error-message"]')) ?? ''));
    expect(await cp.page.isHidden('[data-testid="membership-result"]')).toBe(true);
    await screenshot(cp.page, 'auth-read-commit-403');

    const after = await api<{ epoch: number; members: { id: string; status: string }[] }>(n1, '/cluster');
    expect(after.epoch).toBe(before.epoch);
    expect(after.members.map((m) => [m.id, m.status])).toEqual([['n1', 'normal'], ['n2', 'normal']]);
    expect(cp.errors).toEqual([]);
  }, 90_000);
});
