// The k6 scripts type-check against @types/k6 (k6/tsconfig.json), and their options and metrics
// are what the load and end-to-end runs rely on. The scripts are evaluated with stand-ins for
// the k6 modules, so k6 itself is not needed.
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { REPO_ROOT } from '../support/processes.js';

const K6_DIR = path.join(REPO_ROOT, 'k6');
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

interface Loaded {
  exports: Record<string, unknown>;
  metrics: { type: string; name: string; isTime?: boolean }[];
  added: { name: string; value: number | boolean; tags?: Record<string, string> }[];
  requests: { method: string; url: string; tags?: Record<string, string> }[];
  checks: Record<string, boolean[]>;
}

/** Runs a k6 script's module code with stand-ins for k6's modules; requests answer `reply`. */
interface FakeReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

function loadScript(file: string, reply: (method: string, url: string, body?: string) => FakeReply): Loaded {
  const source = readFileSync(path.join(K6_DIR, file), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
  const loaded: Loaded = { exports: {}, metrics: [], added: [], requests: [], checks: {} };
  const respond = (method: string, url: string, params?: { tags?: Record<string, string> }, body?: unknown) => {
    loaded.requests.push({ method, url, tags: params?.tags });
    const r = reply(method, url, body === undefined ? undefined : String(body));
    return { status: r.status, body: r.body ?? '', headers: r.headers ?? {}, timings: { duration: 1 }, json: () => JSON.parse(r.body ?? 'null') };
  };
  const metric = (type: string) => class {
    constructor(readonly name: string, readonly isTime?: boolean) { loaded.metrics.push({ type, name, isTime }); }
    add(value: number | boolean, tags?: Record<string, string>) { loaded.added.push({ name: this.name, value, tags }); }
  };
  const modules: Record<string, unknown> = {
    'k6/http': {
      get: (url: string, params?: { tags?: Record<string, string> }) => respond('GET', url, params),
      put: (url: string, body: unknown, params?: { tags?: Record<string, string> }) => respond('PUT', url, params, body),
      del: (url: string, _body?: unknown, params?: { tags?: Record<string, string> }) => respond('DELETE', url, params),
      batch: (reqs: { method: string; url: string; body?: unknown }[]) => reqs.map((r) => respond(r.method, r.url, undefined, r.body)),
      setResponseCallback: () => undefined,
      expectedStatuses: (...s: unknown[]) => s,
    },
    k6: {
      check: (val: unknown, sets: Record<string, (v: unknown) => boolean>) => Object.entries(sets).every(([name, fn]) => {
        const ok = fn(val);
        (loaded.checks[name] ??= []).push(ok);
        return ok;
      }),
      group: (_name: string, fn: () => unknown) => fn(),
      fail: (msg: string) => { throw new Error(msg); },
    },
    'k6/execution': { scenario: { iterationInTest: 0 }, vu: { idInTest: 1 } },
    'k6/metrics': { Counter: metric('Counter'), Rate: metric('Rate'), Trend: metric('Trend'), Gauge: metric('Gauge') },
  };
  const module = { exports: loaded.exports };
  const require = (name: string) => {
    if (!(name in modules)) throw new Error(`unexpected import ${name}`);
    return { __esModule: true, default: modules[name], ...(modules[name] as object) };
  };
  vm.runInNewContext(js, { module, exports: module.exports, require, __ENV: {}, Date, JSON, Math, Number, String, Object, encodeURIComponent, Error });
  loaded.exports = module.exports;
  return loaded;
}

describe('type check', () => {
  test('k6/*.ts type-check against @types/k6', async () => {
    const res = await tsc(['-p', path.join(K6_DIR, 'tsconfig.json')]);
    expect(res.out).toBe('');
    expect(res.code).toBe(0);
  });

  test('a misuse of the k6 API fails the same check (the types are really loaded)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-k6-'));
    try {
      writeFileSync(path.join(dir, 'bad.ts'), "import http from 'k6/http';\nhttp.get(42);\nexport {};\n");
      const config = JSON.parse(readFileSync(path.join(K6_DIR, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
      config.compilerOptions.typeRoots = [path.join(REPO_ROOT, 'node_modules', '@types')];
      config.include = [path.join(dir, '*.ts')];
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
      const res = await tsc(['-p', path.join(dir, 'tsconfig.json')]);
      expect(res.code).not.toBe(0);
      expect(res.out).toMatch(/TS2345/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('load.ts', () => {
  const ok = (method: string) => (method === 'PUT' ? { status: 204, headers: { 'X-Ringkv-Timestamp': 't' } } : { status: 200, body: 'v', headers: { 'X-Ringkv-Timestamp': 't' } });
  const script = loadScript('load.ts', ok);
  const options = script.exports.options as { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, unknown[]> };

  test('drives a constant arrival rate', () => {
    const scenarios = Object.values(options.scenarios);
    expect(scenarios.map((s) => s.executor)).toEqual(['constant-arrival-rate']);
    expect(scenarios[0]).toMatchObject({ rate: 200, timeUnit: '1s', duration: '30s' });
  });

  test('has thresholds on p99 latency per operation and on the error rate', () => {
    expect(options.thresholds['http_req_duration{op:get}']).toEqual(['p(99)<50']);
    expect(options.thresholds['http_req_duration{op:put}']).toEqual(['p(99)<100']);
    expect(JSON.stringify(options.thresholds.ringkv_errors)).toContain('rate<0.01');
    // Every custom metric with a threshold exists.
    const names = script.metrics.map((m) => m.name);
    for (const key of Object.keys(options.thresholds)) {
      const metric = key.replace(/\{.*\}$/, '');
      if (metric.startsWith('ringkv_')) expect(names).toContain(metric);
    }
  });

  test('declares its custom metrics, latencies as time trends', () => {
    expect(script.metrics).toEqual(expect.arrayContaining([
      { type: 'Rate', name: 'ringkv_errors', isTime: undefined },
      { type: 'Counter', name: 'ringkv_not_found', isTime: undefined },
      { type: 'Trend', name: 'ringkv_put_latency', isTime: true },
      { type: 'Trend', name: 'ringkv_get_latency', isTime: true },
    ]));
  });

  test('setup preloads keys, and iterations mix tagged reads and writes with no errors', () => {
    (script.exports.setup as () => void)();
    expect(script.requests.filter((r) => r.method === 'PUT')).toHaveLength(1000);
    script.requests.length = 0;
    for (let i = 0; i < 200; i++) (script.exports.default as () => void)();
    const ops = new Set(script.requests.map((r) => r.tags?.op));
    expect(ops).toEqual(new Set(['get', 'put']));
    expect(script.added.filter((a) => a.name === 'ringkv_errors').every((a) => a.value === false)).toBe(true);
  });
});

describe('e2e.ts', () => {
  // A tiny fake store behind the stand-in http module.
  const store = new Map<string, string>();
  const script = loadScript('e2e.ts', (method, url, body): FakeReply => {
    const u = new URL(url);
    if (u.pathname === '/ready') return { status: 200 };
    const params = [...u.searchParams.keys()];
    if (params.some((p) => !['r', 'w', 'ttl'].includes(p)) || u.searchParams.get('r') === '0') {
      return { status: 400, body: JSON.stringify({ error: { code: 'INVALID_PARAMETER' } }) };
    }
    const key = u.pathname;
    if (method === 'PUT') {
      store.set(key, body ?? '');
      return { status: 204, headers: { 'X-Ringkv-Timestamp': 'ts' } };
    }
    if (method === 'DELETE') {
      store.delete(key);
      return { status: 204, headers: { 'X-Ringkv-Timestamp': 'ts2' } };
    }
    return store.has(key)
      ? { status: 200, body: store.get(key), headers: { 'X-Ringkv-Timestamp': 'ts', 'X-Ringkv-Expires-At': 'x' } }
      : { status: 404, body: JSON.stringify({ error: { code: 'NOT_FOUND' } }) };
  });
  const options = script.exports.options as { thresholds: Record<string, unknown[]> };

  test('demands that every check passes', () => {
    expect(options.thresholds.checks).toEqual(['rate==1']);
  });

  test('an iteration writes, reads, deletes, sees the 404 and the parameter errors', () => {
    (script.exports.setup as () => void)();
    (script.exports.default as () => void)();
    const methods = script.requests.filter((r) => !r.url.endsWith('/ready')).map((r) => r.method);
    expect(methods.slice(0, 4)).toEqual(['PUT', 'GET', 'DELETE', 'GET']);
    expect(Object.keys(script.checks)).toEqual(expect.arrayContaining(['get after delete: 404', 'r=0: 400', 'get: the value written']));
    const failed = Object.entries(script.checks).filter(([, r]) => r.includes(false));
    expect(failed).toEqual([]);
  });
});
