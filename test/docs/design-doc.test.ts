// docs/design.md stays true to the tree: its layout block lists exactly the source folders of core
// and server, every path it names in backquotes exists, and no document points at a file the repo
// does not have.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/processes.js';

const design = readFileSync(path.join(REPO_ROOT, 'docs/design.md'), 'utf8');
const layout = /## Layout\n\n```\n([\s\S]*?)```/.exec(design)![1];

/** The folders the layout block lists under `packages/<pkg>/src/`, as the lines indented under it. */
function listedFolders(pkg: string): string[] {
  const lines = layout.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(`${pkg}/src/`));
  expect(start).toBeGreaterThanOrEqual(0);
  const indent = lines[start].length - lines[start].trimStart().length;
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const depth = line.length - line.trimStart().length;
    if (line.trim() === '' || depth <= indent) break;
    const m = /^\s*([a-z0-9-]+)\/\s/.exec(line);
    if (m) out.push(m[1]);
  }
  return out.sort();
}

function folders(dir: string): string[] {
  return readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isDirectory()).sort();
}

describe('docs/design.md', () => {
  test.each(['core', 'server'])('the layout block lists exactly the folders of packages/%s/src', (pkg) => {
    expect(listedFolders(pkg)).toEqual(folders(path.join(REPO_ROOT, 'packages', pkg, 'src')));
  });

  test('the top-level entries of the layout block exist', () => {
    const names = layout.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]!.replace(/\/$/, ''));
    expect(names.filter((n) => !existsSync(path.join(REPO_ROOT, n)))).toEqual([]);
  });

  test('the files it names in backquotes exist', () => {
    const named = [...design.matchAll(/`([a-z0-9-]+(?:\/[a-z0-9.-]+)*\.(?:ts|mjs|md))`/g)].map((m) => m[1]!);
    const missing = named.filter((p) => ![p, `packages/server/src/${p}`, `packages/${p}`, `docs/${p}`].some((c) => existsSync(path.join(REPO_ROOT, c))));
    expect(missing).toEqual([]);
  });

  test('no document or source comment points at DESIGN.md or MEASUREMENTS.md (the repo has docs/design.md)', () => {
    const roots = ['docs', 'packages/core/src', 'packages/storage/src', 'packages/server/src', 'packages/client/src', 'packages/cli/src'];
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : /\.(ts|md)$/.test(p) ? [p] : [];
    });
    const files = [...roots.flatMap((r) => walk(path.join(REPO_ROOT, r))), path.join(REPO_ROOT, 'README.md')];
    const dangling = files.filter((f) => /\b(DESIGN|MEASUREMENTS)\.md\b/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(REPO_ROOT, f));
    expect(dangling).toEqual([]);
  });
});
