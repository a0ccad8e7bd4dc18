// The console's static files (src/http/static-ui.ts) through a real node on a free loopback
// port: every file of packages/server/ui/ with its content type and headers, `/` and `/ui` sent
// to /ui/, nothing outside the folder (traversal, encoded or not), GET/HEAD only, open with auth
// on. And the folder itself: every module the page loads exists, and nothing is fetched from
// another origin.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildConfig, RingkvNode } from '@ringkv/server';
import { CONSOLE_CSP, StaticUi, UI_DIR } from '../../src/http/static-ui.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-ui-'));
const authFile = path.join(dir, 'auth.yaml');
const readToken = randomBytes(32).toString('base64url');
writeFileSync(authFile, `principals:\n  - name: viewer\n    role: read\n    token_sha256: ${createHash('sha256').update(readToken).digest('hex')}\n`);

let open: RingkvNode;
let guarded: RingkvNode;
let base: string;
let guardedBase: string;

beforeAll(async () => {
  open = new RingkvNode(buildConfig({ http: '127.0.0.1:0', peer: '127.0.0.1:0', engine: 'memory', logLevel: 'silent', id: 'ui-test' }));
  guarded = new RingkvNode(buildConfig({ http: '127.0.0.1:0', peer: '127.0.0.1:0', engine: 'memory', logLevel: 'silent', id: 'ui-auth', authFile }));
  await Promise.all([open.start(), guarded.start()]);
  base = `http://${open.httpAddress}`;
  guardedBase = `http://${guarded.httpAddress}`;
});

afterAll(async () => {
  await Promise.all([open.stop(), guarded.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Every file of the ui folder, as paths relative to it. */
function uiFiles(d = UI_DIR, rel = ''): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? uiFiles(path.join(d, e.name), `${rel}${e.name}/`) : [`${rel}${e.name}`]));
}

/** A request with the path exactly as given (fetch would normalise `..` and `%2e%2e` away). */
function raw(method: string, url: string, p: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: p }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
};

describe('serving the ui folder', () => {
  test('the folder holds the page, its stylesheet and its modules, and every file is served', () => {
    const files = uiFiles();
    expect(files).toEqual(expect.arrayContaining(['index.html', 'style.css', 'app.js']));
    expect(new StaticUi().paths.sort()).toEqual(files.map((f) => `/ui/${f}`).sort());
  });

  test.each(uiFiles())('GET /ui/%s: its bytes, content type and headers', async (file) => {
    const res = await fetch(`${base}/ui/${file}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(TYPES[path.extname(file)]);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(UI_DIR, file)))).toBe(true);
  });

  test('the CSP allows this origin only, and no inline script', () => {
    const directives = new Map(CONSOLE_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    for (const d of ['script-src', 'style-src', 'connect-src']) expect([d, directives.get(d)]).toEqual([d, ["'self'"]]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONSOLE_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  test('/ui/ is index.html', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe(readFileSync(path.join(UI_DIR, 'index.html'), 'utf8'));
  });

  test.each(['/', '/ui'])('GET %s redirects to /ui/', async (p) => {
    const res = await fetch(`${base}${p}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui/');
  });

  test('HEAD answers the headers without the body', async () => {
    const res = await raw('HEAD', base, '/ui/app.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(readFileSync(path.join(UI_DIR, 'app.js')).length));
    expect(res.body).toBe('');
  });

  test('a file asked again with its ETag is 304', async () => {
    const first = await fetch(`${base}/ui/style.css`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(`${base}/ui/style.css`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  test.each([
    '/ui/nope.js', '/ui/index.htm', '/ui/INDEX.HTML', '/ui/pages/', '/ui/pages', '/ui//app.js', '/ui/app.js/',
    '/ui/../package.json', '/ui/..%2fpackage.json', '/ui/%2e%2e/package.json', '/ui/%2e%2e%2fpackage.json', '/ui/..%5cpackage.json',
    '/ui/%252e%252e/package.json', '/ui/pages/../app.js', '/ui/./app.js', '/ui/%61pp.js', '/ui/app.js%00', '/ui/.hidden',
    '/ui/../src/http/static-ui.ts', '/ui/../../../package.json', '/ui/..\\package.json',
  ])('%s is 404 (names in the folder only, matched exactly)', async (p) => {
    const res = await raw('GET', base, p);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"private"');
    expect(JSON.parse(res.body).error.code).toBe('NO_SUCH_ROUTE');
  });

  test.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s /ui/ is 405 and allows GET, HEAD', async (method) => {
    for (const p of ['/ui/', '/ui/app.js', '/']) {
      const res = await raw(method, base, p);
      expect([p, res.status]).toEqual([p, 405]);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  test('with auth on the pages are open (no token), the JSON they read is not', async () => {
    for (const p of ['/ui/', '/ui/app.js', '/ui/style.css']) expect([p, (await fetch(`${guardedBase}${p}`)).status]).toEqual([p, 200]);
    expect((await fetch(`${guardedBase}/`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${guardedBase}/ui/missing.js`)).status).toBe(404);
    expect((await fetch(`${guardedBase}/cluster`)).status).toBe(401);
    expect((await fetch(`${guardedBase}/cluster`, { headers: { authorization: `Bearer ${readToken}` } })).status).toBe(200);
  });

  test('a missing ui folder serves nothing instead of stopping the node', () => {
    expect(new StaticUi(path.join(dir, 'no-such-folder')).paths).toEqual([]);
  });
});

/**
 * Origins named in a file outside its comments (// to the end of a line unless inside a quote's
 * reach, block comments, HTML comments). The SVG namespace URI is a name, not a request.
 */
function externalOrigins(source: string): string[] {
  const body = source
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...body.matchAll(/(?<![\w/])(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)].map((m) => m[0]).filter((o) => o !== 'http://www.w3.org');
}

describe('the ui folder', () => {
  const files = uiFiles();
  const text = (f: string) => readFileSync(path.join(UI_DIR, f), 'utf8');

  /** The local names an HTML file or a module refers to, resolved against its folder. */
  function references(file: string): string[] {
    const src = text(file);
    const found = file.endsWith('.html')
      ? [...src.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
      : [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g), ...src.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]!);
    return found.filter((r) => !r.startsWith('data:') && !r.startsWith('#')).map((r) => path.posix.normalize(path.posix.join(path.posix.dirname(file), r)));
  }

  test('every file the page loads, and every module those import, is in the folder', () => {
    const seen = new Set<string>();
    const queue = ['index.html'];
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      expect([f, files.includes(f)]).toEqual([f, true]);
      if (f.endsWith('.html') || f.endsWith('.js')) queue.push(...references(f));
    }
    expect(seen.has('app.js')).toBe(true);
    expect(seen.has('style.css')).toBe(true);
    // Nothing in the folder is dead weight: the page reaches every module.
    expect(files.filter((f) => f.endsWith('.js') && !seen.has(f))).toEqual([]);
  });

  test('no file names another origin outside comments (no external requests)', () => {
    for (const f of files) expect([f, externalOrigins(text(f))]).toEqual([f, []]);
  });

  test('the detector is real: it finds an origin in code and ignores one in a comment', () => {
    expect(externalOrigins("fetch('https://cdn.example.com/x.js')")).toEqual(['https://cdn.example.com']);
    expect(externalOrigins("import x from '//unpkg.com/chart.js';")).toEqual(['//unpkg.com']);
    expect(externalOrigins('<link href="http://fonts.example.org/f.css">')).toEqual(['http://fonts.example.org']);
    expect(externalOrigins('const a = 1; // see https://example.com\n/* http://example.net */ <!-- https://example.org -->')).toEqual([]);
  });

  test('no inline script or style attribute the CSP would block', () => {
    const html = text('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    for (const f of files.filter((x) => x.endsWith('.js'))) expect([f, /setAttribute\(\s*'style'|\.innerHTML\s*=|\beval\(|new Function\(/.test(text(f))]).toEqual([f, false]);
  });
});
