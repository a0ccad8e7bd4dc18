// docs/security.md against the code: its route table is ROUTES exactly (same rows, order,
// methods, roles and descriptions), every `--flag` it names is a `ringkv start` flag of
// CONFIG_SCHEMA (or one of the few client-side flags, each checked to exist in the CLI), every
// camelCase option and RINGKV_ variable it names is in CONFIG_SCHEMA, the defaults of its bounds
// table are the schema's, and the metrics and error codes it names exist.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA, SERVER_ERROR_CODES } from '@ringkv/server';
import { ROUTES } from '../src/http/route-table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DOC = readFileSync(path.join(ROOT, 'docs', 'security.md'), 'utf8');
const schema = CONFIG_SCHEMA as Record<string, { flag?: boolean; default: unknown }>;

const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const envOf = (option: string) => `RINGKV_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Rows of the markdown table whose header row is exactly `header`, as trimmed cells. */
function table(text: string, header: string[]): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => splitRow(l)?.join('|') === header.join('|'));
  if (start < 0) throw new Error(`no table with the header | ${header.join(' | ')} |`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    const cells = splitRow(line);
    if (!cells) break;
    rows.push(cells);
  }
  return rows;
}

function splitRow(line: string): string[] | undefined {
  if (!/^\s*\|.*\|\s*$/.test(line)) return undefined;
  return line.trim().slice(1, -1).split('|').map((c) => c.trim());
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '');
/** Inline code spans outside fenced blocks. */
const codeSpans = [...DOC.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);

/** CLI flags that are not node options, the doc may name; each must be an option of the CLI. */
const CLIENT_FLAGS = ['token', 'ca', 'name', 'role'];

function cliSources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((d) => (d.isDirectory() ? cliSources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? readFileSync(path.join(dir, d.name), 'utf8') : ''))
    .join('\n');
}

describe('docs/security.md', () => {
  test('its route table is ROUTES, row for row', () => {
    const rows = table(DOC, ['path', 'methods', 'role', 'what']);
    const documented = rows.map(([p, methods, role, what]) => ({
      path: unquote(p!), methods: methods!.split(',').map((m) => m.trim()), access: unquote(role!), what,
    }));
    expect(documented).toEqual(ROUTES.map((r) => ({ path: r.path, methods: [...r.methods], access: r.access, what: r.what })));
  });

  test('the table parser is real: a changed row is caught', () => {
    const broken = DOC.replace('| `/cluster/leave` | POST | `admin` |', '| `/cluster/leave` | POST | `write` |');
    expect(broken).not.toBe(DOC);
    const rows = table(broken, ['path', 'methods', 'role', 'what']);
    expect(rows.find((r) => r[0] === '`/cluster/leave`')![2]).toBe('`write`');
  });

  test('every --flag it names is a `ringkv start` flag, or a client flag the CLI defines', () => {
    const flags = [...new Set([...DOC.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
    expect(flags.length).toBeGreaterThan(5);
    const cli = cliSources(path.join(ROOT, 'packages', 'cli', 'src'));
    for (const f of flags) {
      if (CLIENT_FLAGS.includes(f)) {
        expect([f, cli.includes(`option('${f}'`)]).toEqual([f, true]);
        continue;
      }
      const option = schema[camel(f)];
      expect([f, option !== undefined && option.flag === true]).toEqual([f, true]);
    }
  });

  test('every camelCase option and RINGKV_ variable it names is in CONFIG_SCHEMA', () => {
    const options = codeSpans.filter((s) => /^[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*$/.test(s));
    expect(options.length).toBeGreaterThan(10);
    for (const o of options) expect([o, o in schema]).toEqual([o, true]);
    const envs = new Set(Object.keys(schema).map(envOf));
    for (const [, v] of DOC.matchAll(/\b(RINGKV_[A-Z0-9_]+)/g)) {
      if (v === 'RINGKV_TOKEN' || v === 'RINGKV_CA') continue; // the CLI's, checked below
      expect([v, envs.has(v!)]).toEqual([v, true]);
    }
    const cli = cliSources(path.join(ROOT, 'packages', 'cli', 'src'));
    for (const v of ['RINGKV_TOKEN', 'RINGKV_CA']) if (DOC.includes(v)) expect([v, cli.includes(`env.${v}`)]).toEqual([v, true]);
  });

  test('the bounds table lists options with their schema defaults', () => {
    const rows = table(DOC, ['option', 'default', 'protects against']);
    expect(rows.length).toBeGreaterThan(10);
    for (const [option, def] of rows) {
      const name = unquote(option!);
      expect([name, name in schema]).toEqual([name, true]);
      expect([name, Number(/`(\d+)`/.exec(def!)?.[1])]).toEqual([name, schema[name]!.default]);
      // The doc says none of them is a flag.
      expect([name, schema[name]!.flag === true]).toEqual([name, false]);
    }
    // The bounds of issue 15 are all there.
    const listed = rows.map((r) => unquote(r[0]!));
    expect(listed).toEqual(expect.arrayContaining([
      'maxClientConnections', 'clientIdleTimeoutMs', 'headersTimeoutMs', 'maxUnsentBytesPerConnection', 'shedEventLoopDelayMs',
      'adminRequestsPerSecond', 'maxPeerConnections', 'maxPendingHandshakes', 'maxGuestConnections',
    ]));
  });

  test('the metrics and error codes it names exist', () => {
    const metrics = readFileSync(path.join(ROOT, 'packages', 'server', 'src', 'observability', 'metrics.ts'), 'utf8');
    const named = [...new Set([...DOC.matchAll(/\b(ringkv_[a-z_]+)/g)].map((m) => m[1]!))];
    expect(named).toEqual(expect.arrayContaining(['ringkv_auth_failures_total', 'ringkv_reloads_total']));
    for (const m of named) expect([m, metrics.includes(`'${m}'`)]).toEqual([m, true]);
    for (const [, code] of DOC.matchAll(/\b\d{3} `([A-Z_]+)`/g)) expect([code, (SERVER_ERROR_CODES as readonly string[]).includes(code!)]).toEqual([code, true]);
    expect(DOC).toContain('WWW-Authenticate: Bearer realm="ringkv"');
  });
});
