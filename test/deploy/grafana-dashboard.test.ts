// deploy/grafana/ringkv.json: a dashboard Grafana can import (unique panel ids, every query on the
// datasource variable), with the rows operators look for, and every PromQL expression querying only
// metrics of docs/metrics.md.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPLOY_DIR } from './load-manifests.js';
import { readCatalogue, queryableNames } from '../support/metrics-catalogue.js';
import { metricNames } from '../support/promql-metrics.js';

interface Target { expr: string; refId: string; datasource?: { uid: string } }
interface Panel { id: number; type: string; title: string; targets?: Target[]; panels?: Panel[]; datasource?: { uid: string }; gridPos: { x: number; y: number; w: number; h: number } }
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

const dashboard = JSON.parse(readFileSync(path.join(DEPLOY_DIR, 'grafana', 'ringkv.json'), 'utf8')) as Dashboard;
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queried = allPanels.filter((p) => p.type !== 'row');
const targets = queried.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

describe('deploy/grafana/ringkv.json', () => {
  test('has its rows in order: status first, then traffic, replication health, hints, repair, streaming, and a per-node table', () => {
    const rows = allPanels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Status', 'Traffic', 'Replication health', 'Hints', 'Repair (anti-entropy)', 'Streaming', 'Membership and clocks', 'Nodes']);
    expect(queried.some((p) => p.type === 'table' && p.title === 'Per node')).toBe(true);
  });

  test('panel ids are unique, every panel queries something, on the datasource variable', () => {
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of queried) {
      expect(p.targets?.length).toBeGreaterThan(0);
      expect(p.datasource?.uid).toBe('${datasource}');
      for (const t of p.targets!) expect(t.datasource?.uid).toBe('${datasource}');
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'node']);
  });

  test('panels lie inside the 24-column grid and do not overlap', () => {
    const cells = new Set<string>();
    for (const p of allPanels) {
      const g = p.gridPos;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        const cell = `${x},${y}`;
        expect({ panel: p.title, cell, taken: cells.has(cell) }).toEqual({ panel: p.title, cell, taken: false });
        cells.add(cell);
      }
    }
  });

  test('every PromQL expression references only metrics from docs/metrics.md', () => {
    const known = queryableNames(readCatalogue());
    const unknown = targets.flatMap((t) => metricNames(t.expr).filter((m) => !known.has(m)).map((m) => `${t.panel} ${t.refId}: ${m}`));
    expect(unknown).toEqual([]);
    for (const t of targets) expect({ panel: t.panel, names: metricNames(t.expr).length > 0 }).toEqual({ panel: t.panel, names: true });
    // The node variable's query too.
    const nodeVar = dashboard.templating.list.find((v) => v.name === 'node')!;
    const query = typeof nodeVar.query === 'string' ? nodeVar.query : nodeVar.query.query;
    const metric = /^label_values\((\w+),\s*node\)$/.exec(query)?.[1];
    expect(metric !== undefined && known.has(metric)).toBe(true);
  });

  // promtool parses PromQL: every expression, its Grafana variables filled in, as a recording rule.
  const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
  if (!hasPromtool) console.warn('PromQL syntax check of the dashboard skipped: promtool is not installed (Debian package prometheus)');
  (hasPromtool ? test : test.skip)('every expression is valid PromQL (promtool check rules)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-dashboard-'));
    try {
      const rules = targets.map((t, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$node', '.*'))}`);
      const file = path.join(dir, 'dashboard-rules.yaml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toContain(`SUCCESS: ${targets.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shows the metrics operators ask about: replica health, hints, repair, streaming, latency by level', () => {
    const used = new Set(targets.flatMap((t) => metricNames(t.expr)));
    for (const m of [
      'ringkv_partitions_under_replicated', 'ringkv_partitions_unavailable', 'ringkv_partitions_below_write_quorum', 'ringkv_peer_up',
      'ringkv_hints_backlog_bytes', 'ringkv_hints_oldest_pending_age_seconds', 'ringkv_anti_entropy_oldest_round_age_seconds',
      'ringkv_stream_partitions_pending', 'ringkv_stream_bytes_total', 'ringkv_kv_request_duration_seconds_bucket', 'ringkv_coordinator_requests_total',
    ]) expect(used).toContain(m);
  });
});
