#!/usr/bin/env node
// Runs the whole Jest suite in ESM mode and ends the output with the plain line
// "N passed, N failed" taken from Jest's own JSON summary, so CI can count tests.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// One results file per run, so runs side by side never read each other's summary.
const out = path.join(os.tmpdir(), `ringkv-jest-${process.pid}-${Date.now()}.json`);
rmSync(out, { force: true });
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const args = [jestBin, '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
if (process.env.CI) args.push('--ci');
const res = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim() },
});
let passed = 0;
let failed = 0;
try {
  const summary = JSON.parse(readFileSync(out, 'utf8'));
  passed = summary.numPassedTests;
  failed = summary.numFailedTests + (summary.numRuntimeErrorTestSuites ?? 0);
} catch {
  failed = Math.max(1, failed);
}
console.log(`${passed} passed, ${failed} failed`);
rmSync(out, { force: true });
process.exit(res.status === 0 && failed === 0 ? 0 : 1);
