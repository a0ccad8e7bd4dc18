// The console's static files (docs/console.md): packages/server/ui/ served at /ui/, `/` and `/ui`
// redirected to /ui/. The folder is read once into memory (it is small), so a request can only
// ever get one of the names found there: no path is joined from the URL, and traversal or encoded
// names simply match nothing (404). Headers keep the pages to this origin (CSP) and fresh.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MethodNotAllowedError, RouteNotFoundError } from '../errors.js';

/** packages/server/ui/, two levels above this module in src/http/ and in dist/http/ alike. */
export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
export const UI_PREFIX = '/ui/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * Nothing from another origin: scripts, styles and fetches from this node only, no inline script,
 * no plugins, no framing. Charts are SVG built in the DOM (allowed); style attributes are not.
 */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-cache',
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface UiFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Names the console may have: lower-case words, dashes and dots; no dot files. */
const SAFE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export class StaticUi {
  private readonly files = new Map<string, UiFile>();

  /** Reads every file of dir (and its sub-folders) whose type is known; others are not served. */
  constructor(dir: string = UI_DIR) {
    try {
      this.readDir(dir, '');
    } catch (err) {
      // A package without its ui folder still serves data; the console then answers 404.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** The URL paths served, e.g. `/ui/index.html`. */
  get paths(): string[] {
    return [...this.files.keys()];
  }

  /** Whether a path is the console's: `/`, `/ui` or under `/ui/`. */
  static owns(path: string): boolean {
    return path === '/' || path === '/ui' || path.startsWith(UI_PREFIX);
  }

  /** Answers GET/HEAD of a console path; returns the status sent. */
  handle(method: string, urlPath: string, ifNoneMatch: string | undefined, res: ServerResponse): number {
    if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(method, urlPath, ['GET', 'HEAD']);
    if (urlPath === '/' || urlPath === '/ui') {
      res.writeHead(302, { location: UI_PREFIX, 'content-length': 0, 'cache-control': 'no-cache' });
      res.end();
      return 302;
    }
    const file = this.files.get(urlPath === UI_PREFIX ? `${UI_PREFIX}index.html` : urlPath);
    if (!file) throw new RouteNotFoundError(method, urlPath);
    if (ifNoneMatch === file.etag) {
      res.writeHead(304, { ...COMMON_HEADERS, etag: file.etag });
      res.end();
      return 304;
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'content-type': file.type, 'content-length': file.body.length, etag: file.etag });
    res.end(method === 'HEAD' ? undefined : file.body);
    return 200;
  }

  private readDir(dir: string, rel: string): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!SAFE_NAME.test(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        this.readDir(full, `${rel}${entry.name}/`);
        continue;
      }
      const type = CONTENT_TYPES[path.extname(entry.name)];
      if (!entry.isFile() || !type) continue;
      const body = readFileSync(full);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.files.set(`${UI_PREFIX}${rel}${entry.name}`, { body, type, etag });
    }
  }
}

let shared: StaticUi | undefined;

/** The console of this process: the ui folder read on first use (at start-up, by the client API). */
export function consoleUi(): StaticUi {
  shared ??= new StaticUi();
  return shared;
}
