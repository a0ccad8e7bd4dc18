#!/usr/bin/env node
// Per-package coverage from Jest's json-summary (coverage/coverage-summary.json): a table of line
// and branch coverage for each package, and the line thresholds the whole suite must meet.
//
//   node scripts/coverage-report.mjs [DIR]          prints the table of DIR (default coverage/)
//   node scripts/coverage-report.mjs --check [DIR]  also fails (exit 1) below a threshold
//
// scripts/run-tests.mjs calls report() after the tests; it checks the thresholds only when it ran
// the whole suite (a part of it covers less, by design).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

// Lines covered, in percent, that the whole suite's in-process tests must reach per package.
// client and cli are reported but not held to one: most of what tests them runs in child processes.
export const LINE_THRESHOLDS = Object.freeze({ core: 80, storage: 80, server: 80 });

const PACKAGE_OF_FILE = /[\\/]packages[\\/]([^\\/]+)[\\/]src[\\/]/;

/** Sums the json-summary's per-file figures by package (packages/NAME/src/...). */
export function packageTotals(summary) {
  const totals = new Map();
  for (const [file, figures] of Object.entries(summary)) {
    if (file === 'total') continue;
    const name = PACKAGE_OF_FILE.exec(file)?.[1];
    if (!name) continue;
    let t = totals.get(name);
    if (!t) totals.set(name, (t = { files: 0, lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } }));
    t.files += 1;
    for (const kind of ['lines', 'branches']) {
      t[kind].covered += figures[kind].covered;
      t[kind].total += figures[kind].total;
    }
  }
  return new Map([...totals].sort(([a], [b]) => a.localeCompare(b)));
}

// Rounded down to 0.01, so 79.999 prints 79.99 and never looks like a pass.
const pct = ({ covered, total }) => (total === 0 ? 100 : Math.floor((covered / total) * 10000) / 100);

/**
 * Prints the table and returns the packages below their line threshold (checked only with
 * check: true), as [{ name, lines, threshold }]. Throws when the summary file is missing.
 */
export function report(dir, { check = false, log = console.log } = {}) {
  const file = path.join(dir, 'coverage-summary.json');
  const totals = packageTotals(JSON.parse(readFileSync(file, 'utf8')));
  const failures = [];
  const rows = [['package', 'files', 'lines', '', 'branches', '', 'lines needed']];
  for (const [name, t] of totals) {
    const lines = pct(t.lines);
    const threshold = LINE_THRESHOLDS[name];
    let needed = threshold === undefined ? '-' : `${threshold}%`;
    if (check && threshold !== undefined) {
      if (lines < threshold) {
        failures.push({ name, lines, threshold });
        needed += '  BELOW';
      } else needed += '  ok';
    }
    rows.push([
      name,
      String(t.files),
      `${lines.toFixed(2)}%`,
      `${t.lines.covered}/${t.lines.total}`,
      `${pct(t.branches).toFixed(2)}%`,
      `${t.branches.covered}/${t.branches.total}`,
      needed,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  log('');
  log('Coverage of packages/*/src by the in-process tests (V8; lines and branches):');
  for (const [i, r] of rows.entries()) {
    log('  ' + r.map((cell, c) => (c === 0 || c === 6 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
    if (i === 0) log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
  log(`  report: ${path.relative(process.cwd(), path.join(dir, 'index.html')) || 'index.html'} (per file), ${path.relative(process.cwd(), file)}`);
  if (check) {
    for (const [name] of Object.entries(LINE_THRESHOLDS)) {
      if (!totals.has(name)) failures.push({ name, lines: NaN, threshold: LINE_THRESHOLDS[name] });
    }
    for (const f of failures) {
      log(Number.isNaN(f.lines)
        ? `coverage: package ${f.name} has no coverage figures (its sources were not collected)`
        : `coverage: package ${f.name} covers ${f.lines.toFixed(2)}% of its lines, below the ${f.threshold}% it needs`);
    }
  }
  return failures;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'coverage'));
  if (!existsSync(path.join(dir, 'coverage-summary.json'))) {
    console.error(`coverage: no ${path.join(dir, 'coverage-summary.json')}; run the tests first (./dev.sh test)`);
    process.exit(1);
  }
  process.exit(report(dir, { check }).length === 0 ? 0 : 1);
}
