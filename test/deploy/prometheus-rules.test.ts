// The alert rules of deploy/prometheus: promtool checks them and runs their unit tests
// (ringkv-rules.test.yaml), and every metric they query is in docs/metrics.md. promtool comes from
// Debian's prometheus package (./dev.sh test installs it when run as root); without it the promtool
// tests are skipped with a message, the catalogue check still runs.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readYamlDocs, DEPLOY_DIR } from './load-manifests.js';
import { readCatalogue, queryableNames } from '../support/metrics-catalogue.js';
import { metricNames } from '../support/promql-metrics.js';

const RULES_DIR = path.join(DEPLOY_DIR, 'prometheus');
const RULES = path.join(RULES_DIR, 'ringkv-rules.yaml');
const RULE_TESTS = path.join(RULES_DIR, 'ringkv-rules.test.yaml');

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
if (!hasPromtool) {
  console.warn('promtool tests of deploy/prometheus skipped: promtool is not installed (Debian package prometheus; ./dev.sh test installs it when run as root)');
}

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}

const rules = (readYamlDocs(RULES)[0] as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe('deploy/prometheus/ringkv-rules.yaml', () => {
  (hasPromtool ? test : test.skip)('promtool check rules accepts it', () => {
    const r = run(['check', 'rules', RULES]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  (hasPromtool ? test : test.skip)('its unit tests pass (promtool test rules)', () => {
    const r = run(['test', 'rules', RULE_TESTS]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('has the alerts operators need', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'RingkvAntiEntropyOverdue', 'RingkvClockOffsetNearBound', 'RingkvDiskAlmostFull', 'RingkvHintBacklogOld',
      'RingkvNodeSuspect', 'RingkvPartitionUnavailable', 'RingkvPartitionsBelowWriteQuorum', 'RingkvUnderReplicatedPartitions',
    ]);
    for (const r of rules) expect(['warning', 'critical']).toContain(r.labels?.severity);
    expect(rules.find((r) => r.alert === 'RingkvUnderReplicatedPartitions')?.for).toBe('5m');
  });

  test('every unit-tested alert is in the rules, and every alert has a unit test that expects it to fire', () => {
    const tests = (readYamlDocs(RULE_TESTS)[0] as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
    const firing = new Set(tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const quiet = new Set(tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
    for (const r of rules) {
      expect(firing).toContain(r.alert);
      expect(quiet).toContain(r.alert);
    }
  });

  test('every metric an expression queries is in docs/metrics.md', () => {
    const known = queryableNames(readCatalogue());
    const unknown = rules.flatMap((r) => metricNames(r.expr).filter((m) => !known.has(m)).map((m) => `${r.alert}: ${m}`));
    expect(unknown).toEqual([]);
    expect(rules.every((r) => metricNames(r.expr).length > 0)).toBe(true);
  });
});

describe('metricNames (the PromQL scan the catalogue checks use)', () => {
  test.each([
    ['max(ringkv_partitions_unavailable) > 0', ['ringkv_partitions_unavailable']],
    ['sum by (node) (rate(ringkv_http_requests_total{status=~"5..", route="/kv/{key}"}[5m]))', ['ringkv_http_requests_total']],
    ['histogram_quantile(0.99, sum by (le, op) (rate(ringkv_kv_request_duration_seconds_bucket{node=~"$node"}[$__rate_interval])))', ['ringkv_kv_request_duration_seconds_bucket']],
    ['a > on (node) group_left () (0.5 * b) or vector(0)', ['a', 'b']],
    ['1 - x / y > 0.85', ['x', 'y']],
    ['up == bool 0', ['up']],
    ['1e3 * z offset 5m', ['z']],
  ])('%s', (expr, want) => {
    expect(metricNames(expr)).toEqual(want);
  });
});
