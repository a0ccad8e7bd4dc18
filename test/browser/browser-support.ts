// Headless Chromium for the console's browser tests (Debian's chromium, driven by playwright-core):
// finding the binary (a missing one is a clear message, and a failure in CI), pages that record
// every console error and uncaught page error, screenshots into test-output/console/, and reading
// the shown values (data-testid with data-value, docs/console.md) to compare with the JSON.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/processes.js';

/** The Chromium binary: RINGKV_CHROMIUM when set (and only it), else Debian's (or another distribution's) package. */
export const CHROMIUM = (process.env.RINGKV_CHROMIUM ? [process.env.RINGKV_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'])
  .find((p) => existsSync(p));

export const NO_CHROMIUM = 'chromium is not installed, so the console\'s browser tests cannot run: install Debian\'s chromium '
  + '(apt-get install chromium; ./dev.sh test installs it when run as root), or point RINGKV_CHROMIUM at a Chromium binary';

/** Whether the browser tests run: without chromium they are skipped with NO_CHROMIUM, except in CI, where that is a failure. */
export const BROWSER_TESTS = CHROMIUM !== undefined;
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
// Straight to stderr: Jest holds back console output of a suite whose tests are all skipped.
if (!CHROMIUM) process.stderr.write(`\n${IN_CI ? 'FAILING (CI)' : 'SKIPPED'}: ${NO_CHROMIUM}\n`);

/** Where the screenshots go (git-ignored). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-output', 'console');

/**
 * Chromium's own line for a response the page asked for and was refused: allowed only where a
 * test caused that refusal on purpose, by exact match.
 */
export const RESOURCE_401 = 'Failed to load resource: the server responded with a status of 401 (Unauthorized)';
export const RESOURCE_403 = 'Failed to load resource: the server responded with a status of 403 (Forbidden)';

export async function launch(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM);
  // --no-sandbox: tests run as root in CI, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface ConsolePage {
  page: Page;
  /** Console messages of type error and uncaught errors, in order, each with the page's address. */
  errors: string[];
}

/** A new tab that records its errors; `allowed` lines (exact) are not recorded. */
export async function openPage(browser: Browser, url: string, allowed: readonly string[] = []): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowed.includes(m.text())) errors.push(`${page.url()}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: page error: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A value as the page writes it into data-value: '' for null, JSON for objects and arrays. */
export function encode(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** data-value of every element with a data-testid under the root (an element without data-value is left out). */
export async function shownValues(page: Page, rootTestId: string): Promise<Record<string, string>> {
  return page.evaluate((root) => {
    const out: Record<string, string> = {};
    const el = document.querySelector(`[data-testid="${root}"]`);
    if (!el) return out;
    for (const x of el.querySelectorAll('[data-testid][data-value]')) {
      if (x.closest('[hidden]')) continue;
      out[x.getAttribute('data-testid')!] = x.getAttribute('data-value')!;
    }
    return out;
  }, rootTestId);
}

export async function shown(page: Page, testid: string): Promise<string | null> {
  return page.getAttribute(`[data-testid="${testid}"]`, 'data-value', { timeout: 5000 }).catch(() => null);
}

/** Follows a test id's parts (split at '-') through the JSON: overview-nodes-up is nodes.up of /cluster/health. */
export function valueAt(json: unknown, parts: readonly string[]): unknown {
  let v = json;
  for (const p of parts) {
    if (v === null || typeof v !== 'object' || !(p in (v as object))) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

interface NodeRow { id: string; stale?: boolean; zone?: string | null }

/**
 * What the Overview should show of one /cluster/health answer, by test id: every shown id maps to
 * a field path, except overview-node (the answering node) which is d.node too.
 */
export function expectedOverview(shownIds: readonly string[], health: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of shownIds) {
    if (!id.startsWith('overview-')) continue;
    const v = valueAt(health, id.slice('overview-'.length).split('-'));
    out[id] = v === undefined ? `<no field for ${id}>` : encode(v);
  }
  return out;
}

/** What the Nodes page should show of one /cluster/nodes answer, by test id (node-<id>-<path>, nodes-count, nodes-epoch). */
export function expectedNodes(shownIds: readonly string[], view: { epoch: number; nodes: NodeRow[] }): Record<string, string> {
  const out: Record<string, string> = {};
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  for (const id of shownIds) {
    if (id === 'nodes-count') out[id] = encode(view.nodes.length);
    else if (id === 'nodes-epoch') out[id] = encode(view.epoch);
    else {
      const m = /^node-([A-Za-z0-9_.]+)-(.+)$/.exec(id);
      const n = m ? byId.get(m[1]!) : undefined;
      if (!m || !n) {
        out[id] = `<no member for ${id}>`;
        continue;
      }
      const field = m[2]!;
      // The stale badge says stale === true (absent counts as false).
      const v = field === 'stale' ? n.stale === true : valueAt(n, field.split('-'));
      out[id] = v === undefined ? `<no field for ${id}>` : encode(v);
    }
  }
  return out;
}

/** The entries of `a` and `b` that differ, leaving out the ids `skip` matches. */
export function differences(a: Record<string, string>, b: Record<string, string>, skip: (id: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (skip(id)) continue;
    if (a[id] !== b[id]) out.push(`${id}: page ${JSON.stringify(a[id])} vs JSON ${JSON.stringify(b[id])}`);
  }
  return out;
}
