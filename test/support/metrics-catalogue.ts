// The metric catalogue of docs/metrics.md, parsed: every table row whose first cell is a
// backquoted ringkv_ name, with its type and label names. The docs, dashboard and alert-rule tests
// compare what they check against it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './processes.js';

export interface CatalogueEntry {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
}

export function readCatalogue(): Map<string, CatalogueEntry> {
  const text = readFileSync(path.join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  const out = new Map<string, CatalogueEntry>();
  for (const line of text.split('\n')) {
    const m = /^\| `(ringkv_[a-z0-9_]+)` \| ([a-z]+) \|([^|]*)\|/.exec(line);
    if (!m) continue;
    if (out.has(m[1]!)) throw new Error(`docs/metrics.md lists ${m[1]} twice`);
    const labels = m[3]!.split(',').map((l) => l.trim()).filter((l) => l !== '');
    out.set(m[1]!, { name: m[1]!, type: m[2] as CatalogueEntry['type'], labels });
  }
  return out;
}

/** The series names a metric of the catalogue is queried by (a histogram's _bucket, _sum, _count). */
export function queryableNames(catalogue: Map<string, CatalogueEntry>): Set<string> {
  const names = new Set<string>();
  for (const e of catalogue.values()) {
    names.add(e.name);
    if (e.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(e.name + s);
  }
  return names;
}
