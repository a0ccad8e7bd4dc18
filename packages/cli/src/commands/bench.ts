// `ringkv bench`: load against a running cluster, and in the same run against ceiling servers on
// this machine (absolute numbers on shared machines are noisy; ratios within one run are not).
// PUTs then GETs, each after a warm-up. This is a benchmark: it reports, it does not pass or fail.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { AUTH_ERROR_CODES, RingkvClient, isRingkvClientError } from '@ringkv/client';
import { CEILING_KINDS, cpuSeconds, startCeiling, type CeilingKind } from '../bench/ceiling-servers.js';
import { ETCD_MISSING, findEtcd, startEtcdCluster, type EtcdCluster } from '../bench/etcd-ceiling.js';
import type { LoadApi, PhaseResult } from '../bench/http-load.js';
import type { PairedTarget } from '../bench/paired.js';
import { htmlPathOf, renderBenchHtml, renderPairedHtml } from '../bench/html-report.js';
import type { TargetAccess } from '../bench/target-access.js';
import { accessFetch, accessOptions, clientAccess, readAccess, reportFailure, type NodeAccess } from '../client-options.js';
import { UsageError } from '../usage-error.js';

/** One target of a sitting: how to load it, and the CPU seconds its processes have used so far. */
interface Target {
  target: string;
  urls: string[];
  query: { put?: string; get?: string };
  api: LoadApi;
  cpu: () => Promise<number | undefined>;
}

const ETCD_TARGET = 'etcd 3 members (JSON)';

interface TargetReport {
  target: string;
  endpoints: string[];
  put: PhaseResult & { cpuUsPerOp?: number };
  get: PhaseResult & { cpuUsPerOp?: number };
}

export function benchCommand(y: Argv): Argv {
  return y.command(
    'bench',
    'Benchmark a running cluster against a bare node:http server, a Map-backed server and a 3-member etcd (if installed) on this machine',
    (b) => accessOptions(b)
      .option('endpoint', { type: 'string', default: process.env.RINGKV_ENDPOINT ?? 'http://127.0.0.1:7071', describe: 'Comma-separated client URLs of the cluster (load is spread over them)' })
      .option('connections', { type: 'number', default: 64, describe: 'Concurrent connections' })
      .option('duration', { type: 'number', default: 20, describe: 'Seconds per measured phase' })
      .option('warmup', { type: 'number', default: 3, describe: 'Seconds of warm-up before each target' })
      .option('rounds', { type: 'number', default: 1, describe: 'Rounds over all targets, interleaved; medians are reported (steadier on a shared machine)' })
      .option('keys', { type: 'number', default: 100_000, describe: 'Size of the key space' })
      .option('value-size', { type: 'number', default: 100, describe: 'Value size in bytes' })
      .option('ceilings', { type: 'string', default: [...CEILING_KINDS, 'etcd'].join(','), describe: `Ceiling servers to run in the same sitting (${CEILING_KINDS.join(', ')}, etcd: a 3-member etcd the bench starts when the etcd binary is installed; or none)` })
      .option('preload', { type: 'boolean', default: true, describe: 'Before the first round, write every key once to each target, so GETs read stored values, not 404s (--no-preload to skip)' })
      .option('w', { type: 'string', describe: 'w for the PUTs (default: the cluster default)' })
      .option('r', { type: 'string', describe: 'r for the GETs (default: the cluster default)' })
      .option('json', { type: 'string', describe: 'Write the report as JSON to this file (default bench-results/bench-<time>.json)' })
      .option('scenario', { type: 'string', choices: ['throughput', 'mixed', 'e2e'], default: 'throughput',
        describe: 'throughput: PUTs then GETs against ceilings; mixed: k6/load.ts (constant arrival rate, thresholds); e2e: k6/e2e.ts (API walk with checks)' })
      .option('rate', { type: 'number', default: 200, describe: 'mixed: requests per second (constant arrival rate)' })
      .option('read-ratio', { type: 'number', default: 0.8, describe: 'mixed: share of reads' })
      .option('iterations', { type: 'number', default: 20, describe: 'e2e: iterations of the API walk' })
      .option('compare', { type: 'string', describe: 'Paired mode: client URLs of a second cluster (B); A (--endpoint) and B are measured in alternating short windows and the report is B/A per pair, with its spread' })
      .option('pairs', { type: 'number', default: 10, describe: 'Paired mode: pairs of windows per op' })
      .option('window', { type: 'number', default: 3, describe: 'Paired mode: seconds per window' }),
    async (argv) => {
      // Loaded here, not at start-up: `ringkv start` has no use for a load generator.
      const { preload, runLoad } = await import('../bench/http-load.js');
      const { runE2e } = await import('../bench/scenarios.js');
      const parseUrls = (list: string) => list.split(',').map((e) => e.trim()).filter(Boolean).map((e) => (/^https?:/.test(e) ? e : `http://${e}`));
      const endpoints = parseUrls(String(argv.endpoint));
      const compare = argv.compare === undefined ? undefined : parseUrls(String(argv.compare));
      if (compare !== undefined && (compare.length === 0 || argv.scenario !== 'throughput')) throw new UsageError('--compare takes the client URLs of a second cluster, with --scenario throughput');
      const ceilings = String(argv.ceilings) === 'none' ? [] : String(argv.ceilings).split(',').map((c) => c.trim());
      for (const c of ceilings) if (c !== 'etcd' && !CEILING_KINDS.includes(c as CeilingKind)) throw new UsageError(`unknown ceiling "${c}" (${CEILING_KINDS.join(', ')}, etcd, or none)`);
      for (const [name, v] of [['connections', argv.connections], ['duration', argv.duration], ['keys', argv.keys], ['rounds', argv.rounds], ['pairs', argv.pairs], ['window', argv.window]] as const) {
        if (!Number.isInteger(v) || (v as number) < 1) throw new UsageError(`--${name} must be a positive integer`);
      }
      const access = readAccess(argv);
      const nodeAccess: TargetAccess = clientAccess(access);
      const probe = await accessFetch(access);
      for (const e of [...endpoints, ...(compare ?? [])]) {
        const ok = await probe(`${e}/ready`, false).then((r) => r.ok, () => false);
        if (!ok) throw new UsageError(`${e} is not a ready ringkv node (start one with ./dev.sh up, or pass --endpoint${e.startsWith('https:') ? '; for a private certificate, --ca' : ''})`);
      }
      // One write per node through the SDK first: a missing token or a role too low ends the
      // run here with the CLI's one-line message, not as a table of failed requests.
      const firstKey = argv.scenario === 'mixed' ? 'load-0' : argv.scenario === 'throughput' ? 'bench-0' : undefined;
      if (firstKey !== undefined && !(await writesAllowed([...endpoints, ...(compare ?? [])], firstKey, argv['value-size'] as number, access))) return;
      if (compare !== undefined) {
        await benchPaired({
          a: { label: 'A', endpoints }, b: { label: 'B', endpoints: compare },
          pairs: argv.pairs, windowS: argv.window, warmupS: argv.warmup, preload: argv.preload,
          load: { connections: argv.connections, keys: argv.keys, valueBytes: argv['value-size'] as number, access: nodeAccess },
          query: { put: argv.w ? `w=${argv.w}` : undefined, get: argv.r ? `r=${argv.r}` : undefined },
          probe, json: argv.json as string | undefined,
        });
        return;
      }
      if (argv.scenario === 'mixed') {
        const { benchMixed } = await import('./bench-mixed.js');
        await benchMixed({
          endpoints, ratePerSec: argv.rate, durationS: argv.duration, warmupS: argv.warmup, readRatio: argv['read-ratio'] as number, keys: argv.keys,
          valueBytes: argv['value-size'] as number, connections: argv.connections, access: nodeAccess,
        }, argv.rounds, ceilings.includes('bare'));
        return;
      }
      if (argv.scenario === 'e2e') {
        const r = await reportFailure(access, () => runE2e(endpoints, argv.iterations as number, nodeAccess));
        if (!r) return;
        console.log(`e2e: ${r.passed} checks passed, ${r.failed.length} failed`);
        for (const f of r.failed.slice(0, 20)) console.log(`  FAIL ${f.name} ${f.detail}`);
        if (r.failed.length) process.exitCode = 1;
        return;
      }
      const perRound: TargetReport[][] = [];
      const common = { connections: argv.connections, durationS: argv.duration, keys: argv.keys, valueBytes: argv['value-size'] as number };
      const measure = async ({ target, urls, query, api, cpu }: Target, first: boolean): Promise<TargetReport> => {
        // The token and CA go to the ringkv nodes only, never to the ceiling servers.
        const load = { ...common, endpoints: urls, api, access: target === 'ringkv' ? nodeAccess : undefined };
        if (first && argv.preload) {
          console.error(`-- ${target}: preloading ${argv.keys} keys`);
          const failed = await preload({ ...load, query: query.put });
          if (failed > 0) console.error(`   ${failed} preload writes failed: some GETs will be 404s`);
        }
        console.error(`-- ${target}: warm-up ${argv.warmup}s, then PUT ${argv.duration}s, GET ${argv.duration}s`);
        if (argv.warmup > 0) await runLoad({ ...load, op: 'PUT', durationS: argv.warmup, query: query.put });
        // CPU the server spent per request: steadier than rates on a shared machine.
        const phase = async (op: 'PUT' | 'GET', q: string | undefined): Promise<PhaseResult & { cpuUsPerOp?: number }> => {
          const before = await cpu();
          const r = await runLoad({ ...load, op, query: q });
          const after = await cpu();
          return before === undefined || after === undefined || r.requests === 0 ? r : { ...r, cpuUsPerOp: ((after - before) * 1e6) / r.requests };
        };
        const put = await phase('PUT', query.put);
        const get = await phase('GET', query.get);
        return { target, endpoints: urls, put, get };
      };
      // Every round measures every target once, so slow drift of a shared machine hits all alike;
      // ratios are taken within a round and their median reported.
      const servers = [];
      let etcd: EtcdCluster | undefined;
      try {
        for (const kind of ceilings.filter((c) => c !== 'etcd') as CeilingKind[]) servers.push({ kind, srv: await startCeiling(kind) });
        if (ceilings.includes('etcd')) {
          const bin = findEtcd();
          if (bin === undefined) console.error(`-- ${ETCD_MISSING}`);
          else {
            console.error(`-- starting a 3-member etcd (${bin})`);
            etcd = await startEtcdCluster(bin);
          }
        }
        const targets: Target[] = [
          { target: 'ringkv', urls: endpoints, query: { put: argv.w ? `w=${argv.w}` : undefined, get: argv.r ? `r=${argv.r}` : undefined }, api: 'ringkv', cpu: () => cpuSeconds(endpoints, false, probe) },
          ...servers.map(({ kind, srv }): Target => ({ target: kind === 'bare' ? 'bare node:http' : 'Map-backed node:http', urls: [srv.url], query: {}, api: 'ringkv', cpu: () => cpuSeconds([srv.url], true) })),
          ...(etcd ? [{ target: ETCD_TARGET, urls: etcd.urls, query: {}, api: 'etcd' as const, cpu: async () => etcd!.cpuSeconds() }] : []),
        ];
        for (let round = 0; round < argv.rounds; round++) {
          if (argv.rounds > 1) console.error(`-- round ${round + 1} of ${argv.rounds}`);
          perRound.push([]);
          for (const t of targets) perRound[round].push(await measure(t, round === 0));
        }
      } finally {
        for (const { srv } of servers) await srv.stop();
        await etcd?.stop();
      }
      const reports = perRound[0].map((_, i) => medianReport(perRound.map((r) => r[i])));
      const ceiling = reports.find((r) => r.target === 'bare node:http');
      const rows = reports.flatMap((r) => (['put', 'get'] as const).map((op) => ({
        target: r.target, op: op.toUpperCase(), ...r[op],
        ratioToBare: ceiling ? r[op].opsPerS / ceiling[op].opsPerS : undefined,
      })));
      console.log(`\nringkv bench: ${argv.connections} connections, ${argv.duration}s per phase, ${argv.keys} keys, ${argv['value-size']}-byte values`);
      console.log(['target'.padEnd(22), 'op'.padEnd(4), 'ops/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'p99.9 ms'.padStart(9), 'errors'.padStart(7), 'vs bare'.padStart(8), 'cpu us/op'.padStart(10)].join(' '));
      for (const row of rows) {
        console.log([
          row.target.padEnd(22), row.op.padEnd(4), row.opsPerS.toFixed(0).padStart(9), row.p50Ms.toFixed(2).padStart(8),
          row.p99Ms.toFixed(2).padStart(8), row.p999Ms.toFixed(2).padStart(9), String(row.errors + (row.op === 'PUT' ? row.non2xx : 0)).padStart(7),
          (row.ratioToBare === undefined ? '' : row.ratioToBare.toFixed(2)).padStart(8),
          (row.cpuUsPerOp === undefined ? '' : row.cpuUsPerOp.toFixed(1)).padStart(10),
        ].join(' '));
      }
      for (const [name, label] of [['Map-backed node:http', 'Map-backed'], [ETCD_TARGET, 'etcd']] as const) {
        const at = reports.findIndex((r) => r.target === name);
        if (at < 0) continue;
        const ratio = (op: 'put' | 'get') => median(perRound.map((r) => r[0][op].opsPerS / r[at][op].opsPerS));
        const each = (op: 'put' | 'get') => (perRound.length > 1 ? ` (rounds: ${perRound.map((r) => (r[0][op].opsPerS / r[at][op].opsPerS).toFixed(2)).join(' ')})` : '');
        console.log(`ringkv / ${label}${perRound.length > 1 ? ', median of rounds' : ''}: PUT ${ratio('put').toFixed(2)}${each('put')}, GET ${ratio('get').toFixed(2)}${each('get')}`);
      }
      const file = (argv.json as string | undefined) ?? path.join('bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const report = { at: new Date().toISOString(), options: { ...common, rounds: argv.rounds }, rows, rounds: perRound };
      writeFileSync(file, JSON.stringify(report, null, 2));
      writeFileSync(htmlPathOf(file), renderBenchHtml(report));
      console.log(`report written to ${file} and ${htmlPathOf(file)}`);
    },
  );
}

interface PairedOptions {
  a: PairedTarget;
  b: PairedTarget;
  pairs: number;
  windowS: number;
  warmupS: number;
  preload: boolean;
  load: { connections: number; keys: number; valueBytes: number; access: TargetAccess };
  query: { put?: string; get?: string };
  probe: Parameters<typeof cpuSeconds>[2];
  json?: string;
}

/** The paired mode (paired.ts): preload and warm both targets, then alternate short windows. */
async function benchPaired(o: PairedOptions): Promise<void> {
  const { preload, runLoad } = await import('../bench/http-load.js');
  const { formatPaired, runPaired, summarizePairs } = await import('../bench/paired.js');
  for (const t of [o.a, o.b]) {
    if (o.preload) {
      console.error(`-- ${t.label}: preloading ${o.load.keys} keys`);
      await preload({ ...o.load, endpoints: t.endpoints, query: o.query.put });
    }
    if (o.warmupS > 0) await runLoad({ ...o.load, endpoints: t.endpoints, op: 'PUT', durationS: o.warmupS, query: o.query.put });
  }
  console.error(`-- ${o.pairs} pairs of ${o.windowS}s windows per op, A and B alternating`);
  const pairs = await runPaired({
    a: o.a, b: o.b, pairs: o.pairs, windowS: o.windowS, log: (line) => console.error(line),
    measure: async (t, op, durationS) => {
      const before = await cpuSeconds(t.endpoints, false, o.probe);
      const r = await runLoad({ ...o.load, endpoints: t.endpoints, op, durationS, query: op === 'PUT' ? o.query.put : o.query.get });
      const after = await cpuSeconds(t.endpoints, false, o.probe);
      return before === undefined || after === undefined || r.requests === 0 ? r : { ...r, cpuUsPerOp: ((after - before) * 1e6) / r.requests };
    },
  });
  const summary = summarizePairs(pairs);
  for (const line of formatPaired(o.a, o.b, summary)) console.log(line);
  const file = o.json ?? path.join('bench-results', `paired-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const report = { at: new Date().toISOString(), mode: 'paired', a: o.a, b: o.b, options: { ...o.load, access: undefined, pairs: o.pairs, windowS: o.windowS }, summary, pairs };
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(htmlPathOf(file), renderPairedHtml(report));
  console.log(`report written to ${file} and ${htmlPathOf(file)}`);
}

/**
 * Writes `key` once on every endpoint through the SDK. False (after the one-line message, exit
 * code 1) when a node refuses the token; other failures are left to the load to count.
 */
async function writesAllowed(endpoints: string[], key: string, valueBytes: number, access: NodeAccess): Promise<boolean> {
  for (const endpoint of endpoints) {
    const client = new RingkvClient({ endpoints: endpoint, retries: 0, timeoutMs: 5000, ...clientAccess(access) });
    const refused = await client.put(key, new Uint8Array(valueBytes).fill(0x76)).then(() => undefined, (err: unknown) =>
      (isRingkvClientError(err) && AUTH_ERROR_CODES.includes(err.code) ? err : undefined));
    if (refused) {
      await reportFailure(access, () => Promise.reject(refused));
      return false;
    }
  }
  return true;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per op, the round whose rate is the median (its latencies come with it). */
function medianReport(rounds: TargetReport[]): TargetReport {
  const pick = (op: 'put' | 'get') => {
    const sorted = [...rounds].sort((a, b) => a[op].opsPerS - b[op].opsPerS);
    return sorted[Math.floor((sorted.length - 1) / 2)][op];
  };
  return { ...rounds[0], put: pick('put'), get: pick('get') };
}
