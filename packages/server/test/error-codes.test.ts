// Every error code is registered and documented: each package's code list (derived from its error
// classes, error-codes.ts) is in docs/errors.md and every documented code is in a list; client-facing
// codes have the HTTP status the docs give. The sources are scanned too: an error class whose module
// no code list derives from, or a code written as a string literal where its class's `code` belongs
// (core, storage, server), fails here.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_ERROR_CODES, RingkvError } from '@ringkv/core';
import { STORAGE_ERROR_CODES } from '@ringkv/storage';
import { SERVER_ERROR_CODES } from '@ringkv/server';
import { CLIENT_ERROR_CODES } from '@ringkv/client';
import { statusFor } from '../src/http/error-response.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
const documented = new Map<string, string[]>();
for (const line of docs.split('\n')) {
  const m = /^\| `([A-Z_]+)` \|(.*)$/.exec(line);
  if (m) documented.set(m[1], m[2].split('|').map((c) => c.trim()));
}

const registered = new Set<string>([...CORE_ERROR_CODES, ...STORAGE_ERROR_CODES, ...SERVER_ERROR_CODES, ...CLIENT_ERROR_CODES]);

function sources(pkg: string): { file: string; text: string }[] {
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
  return walk(path.join(ROOT, 'packages', pkg, 'src')).map((file) => ({ file: path.relative(ROOT, file), text: readFileSync(file, 'utf8') }));
}

/** `static readonly code = 'X'` and the members of `static readonly codes = [...]`. */
function declaredCodes(text: string): string[] {
  const single = [...text.matchAll(/static (?:override )?readonly code(?:: string)? = '([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
  const lists = [...text.matchAll(/static readonly codes = [^[]*\[([^\]]*)\]/g)].flatMap((m) => [...m[1].matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((c) => c[1]));
  return [...single, ...lists];
}

/** A code written as a literal where an error code is compared, sent or raised. */
const CODE_LITERAL = /(?:\bcode\s*[!=]==?\s*|\bcode:\s*|\bsuper\(\s*)'([A-Z][A-Z0-9_]+)'/g;
/** Codes of other libraries (Node's system errors, abstract-level's) compared in the engine and socket shells. */
const FOREIGN_CODE = /^(E[A-Z]+|LEVEL_[A-Z_]+)$/;

describe('error codes', () => {
  test.each([...registered])('%s is documented', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  test('every documented code is registered by a package', () => {
    expect([...documented.keys()].filter((c) => !registered.has(c))).toEqual([]);
  });

  test('documented HTTP statuses match the server mapping', () => {
    for (const [code, cells] of documented) {
      const status = Number(cells[0]);
      if (!Number.isInteger(status)) continue;
      expect([code, statusFor(new RingkvError(code, 'x'))]).toEqual([code, status]);
    }
  });

  test.each(['core', 'storage', 'server', 'client', 'cli'])('every code an error class of %s declares is in a code list', (pkg) => {
    const unregistered = sources(pkg).flatMap(({ file, text }) => declaredCodes(text).filter((c) => !registered.has(c)).map((c) => `${file}: ${c}`));
    expect(unregistered).toEqual([]);
  });

  test.each(['core', 'storage', 'server'])('%s writes no code as a literal outside its error class', (pkg) => {
    const literals = sources(pkg).flatMap(({ file, text }) => [...text.matchAll(CODE_LITERAL)]
      .filter((m) => !FOREIGN_CODE.test(m[1]))
      .map((m) => `${file}: ${m[0]}`));
    expect(literals).toEqual([]);
  });

  test.each(['client', 'cli'])('the codes %s compares with are registered codes (the wire protocol it mirrors)', (pkg) => {
    const unknown = sources(pkg).flatMap(({ file, text }) => [...text.matchAll(CODE_LITERAL)]
      .filter((m) => !FOREIGN_CODE.test(m[1]) && !registered.has(m[1]))
      .map((m) => `${file}: ${m[0]}`));
    expect(unknown).toEqual([]);
  });

  test('the scan sees what it is meant to see', () => {
    expect(declaredCodes("static readonly code = 'A_B';\nstatic override readonly code: string = 'B_C';\nstatic readonly codes = Object.freeze(['C', 'D'] as const);")).toEqual(['A_B', 'B_C', 'C', 'D']);
    expect([..."if (err.code === 'X_Y') super('ZZ', m); ({ code: 'WW' })".matchAll(CODE_LITERAL)].map((m) => m[1])).toEqual(['X_Y', 'ZZ', 'WW']);
  });
});
