#!/usr/bin/env node
// Runs the Jest suite in ESM mode and ends the output with the plain line
// "N passed, N failed" taken from Jest's own JSON summary, so CI can count tests.
//
// Coverage. With no arguments (the whole suite: ./dev.sh test, CI), or with --coverage among its
// arguments, it runs Jest twice:
//   1. the in-process tests (unit, property, simulator: inProcessTestMatch in jest.config.js) with
//      V8 coverage of packages/*/src;
//   2. the other tests (end-to-end, fuzz, deploy, ...) without: the nodes they drive run in child
//      processes, which V8 coverage in Jest's process does not see, and collecting it anyway slows
//      the code they run in process (the fuzzers' encoders, the CLI) by half for nothing.
// It then prints line and branch coverage per package (scripts/coverage-report.mjs) and leaves the
// HTML report in coverage/index.html. On the whole suite a package below its line threshold
// (LINE_THRESHOLDS there) fails the run. --coverage with paths under packages/NAME measures only
// those packages' sources (e.g. --coverage packages/core: what core's own tests cover).
// With other arguments and no --coverage it is one plain Jest run, as fast as it can be (to replay
// one seed, say); RINGKV_COVERAGE=0 makes the whole suite one plain run too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import jestConfig, { inProcessTestMatch, inProcessTestPathPatterns } from '../jest.config.js';
import { report } from './coverage-report.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim() };

const given = process.argv.slice(2);
const userArgs = given.filter((a) => a !== '--coverage');
const wholeSuite = userArgs.length === 0;
const coverage = given.includes('--coverage') || (wholeSuite && process.env.RINGKV_COVERAGE !== '0');

let runs = 0;
/** One Jest run; its passed and failed counts from Jest's JSON summary. */
function jest(args) {
  // One results file per run, so runs side by side never read each other's summary.
  const out = path.join(os.tmpdir(), `ringkv-jest-${process.pid}-${Date.now()}-${++runs}.json`);
  rmSync(out, { force: true });
  const all = [jestBin, '--json', `--outputFile=${out}`, ...args];
  if (process.env.CI) all.push('--ci');
  const res = spawnSync(process.execPath, all, { cwd: root, stdio: 'inherit', env });
  let passed = 0;
  let failed = 0;
  try {
    const summary = JSON.parse(readFileSync(out, 'utf8'));
    passed = summary.numPassedTests;
    failed = summary.numFailedTests + (summary.numRuntimeErrorTestSuites ?? 0);
  } catch {
    failed = 1;
  }
  rmSync(out, { force: true });
  return { ok: res.status === 0 && failed === 0, passed, failed };
}

/** Moves a finished run's report into coverage/, in place of the report an earlier run left. */
function publish(from, to) {
  for (const entry of readdirSync(to)) {
    if (!entry.startsWith('.run-')) rmSync(path.join(to, entry), { recursive: true, force: true });
  }
  for (const entry of readdirSync(from)) renameSync(path.join(from, entry), path.join(to, entry));
  rmSync(from, { recursive: true, force: true });
}

/** Removes the scratch folders of runs that were killed before they published. */
function sweepScratch(dir) {
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    const pid = /^\.run-(\d+)-/.exec(entry)?.[1];
    if (!pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if (e.code === 'ESRCH') rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

let results;
let coverageOk = true;
if (!coverage) {
  results = [jest(userArgs)];
} else {
  const coverageDir = path.join(root, 'coverage');
  sweepScratch(coverageDir);
  // Jest writes into a folder of this run's own, published when the run is done: two runs side by
  // side never mix their reports.
  const scratch = path.join(coverageDir, `.run-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, { recursive: true });
  // A part of the suite may select no test of one of the two runs.
  const partial = wholeSuite ? [] : ['--passWithNoTests'];
  const packages = [...new Set(userArgs.map((a) => /^(?:\.\/)?packages\/([a-z0-9-]+)(?:\/|$)/.exec(a)?.[1]).filter(Boolean))];
  const collectFrom = packages.map((p) => `--collectCoverageFrom=packages/${p}/src/**/*.ts`);
  console.log('==> in-process tests (unit, property, simulator), with coverage');
  // Jest switches V8's precise coverage on and off around every test file, and each switch
  // deoptimizes and walks the whole heap of the process that runs the tests. In one long-lived
  // process (on 2 cores Jest runs in band) that heap grows file after file, until the switches
  // cost seconds per file (the in-process tests took three times as long as without coverage).
  // A memory limit makes Jest run the files in workers (as many as it would run anyway) and
  // replace a worker once it has grown past the limit: then coverage adds about half.
  const workers = ['--workerIdleMemoryLimit=150MB'];
  // Our options after the caller's: Jest's array options take the words that follow them.
  const inProcess = jest(['--coverage', `--coverageDirectory=${scratch}`, ...workers, ...partial, ...userArgs,
    ...inProcessTestMatch.map((g) => `--testMatch=${g}`), ...collectFrom]);
  console.log('==> tests of nodes in child processes (end-to-end, fuzz, deploy, ...), without coverage');
  const others = jest([...partial, ...userArgs,
    ...[...jestConfig.testPathIgnorePatterns, ...inProcessTestPathPatterns].map((p) => `--testPathIgnorePatterns=${p}`)]);
  results = [inProcess, others];
  if (existsSync(path.join(scratch, 'coverage-summary.json'))) {
    let reportDir = coverageDir;
    try {
      publish(scratch, coverageDir);
    } catch (e) {
      // Another run publishing at the same moment: this run's report stays where Jest wrote it.
      reportDir = scratch;
      console.log(`coverage: could not move the report into coverage/ (${e.message})`);
    }
    const below = report(reportDir, { check: wholeSuite });
    coverageOk = below.length === 0;
    if (!wholeSuite) console.log('coverage: thresholds are checked on the whole suite only (./dev.sh test)');
  } else {
    rmSync(scratch, { recursive: true, force: true });
    console.log('coverage: no report (none of the selected tests runs in process)');
    coverageOk = !wholeSuite;
  }
}

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) && coverageOk ? 0 : 1);
