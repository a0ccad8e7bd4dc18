// docs/metrics.md is the catalogue of what /metrics serves, checked against real nodes both ways:
// every ringkv_ metric a node serves is listed with its type and labels, every listed one is served.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startCluster } from '../support/cluster.js';
import { readCatalogue, type CatalogueEntry } from '../support/metrics-catalogue.js';
import { stopAll, type NodeProcess } from '../support/processes.js';
import { pollUntil } from '../support/poll.js';

interface Served {
  types: Map<string, string>;
  /** Label names seen on the samples of each family (node and the histogram's le left out). */
  labels: Map<string, Set<string>>;
}

function parse(text: string): Served {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      labels.set(t[1]!, new Set());
      continue;
    }
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!s) continue;
    const family = types.has(s[1]!) ? s[1]! : s[1]!.replace(/_(bucket|sum|count)$/, '');
    for (const [, name] of (s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      if (name !== 'node' && name !== 'le') labels.get(family)?.add(name!);
    }
  }
  return { types, labels };
}

describe('docs/metrics.md against a real node\'s /metrics', () => {
  let nodes: NodeProcess[];
  let served: Served;
  let catalogue: Map<string, CatalogueEntry>;

  beforeAll(async () => {
    catalogue = readCatalogue();
    nodes = await startCluster({ size: 2 });
    const [n1] = nodes;
    // Requests of each kind, so the labelled series have samples whose labels can be checked.
    await fetch(`${n1!.url}/kv/a?w=quorum`, { method: 'PUT', body: 'x' });
    await fetch(`${n1!.url}/kv/a?r=1`);
    await fetch(`${n1!.url}/kv/a`, { method: 'DELETE' });
    await fetch(`${n1!.url}/no-such-route`);
    served = await pollUntil('n1 to see n2 in its metrics', async () => {
      const s = parse(await (await fetch(`${n1!.url}/metrics`)).text());
      return s.labels.get('ringkv_peer_up')?.has('peer') ? s : undefined;
    }, { timeoutMs: 15_000 });
  }, 60_000);

  afterAll(stopAll);

  test('the catalogue lists metrics', () => {
    expect(catalogue.size).toBeGreaterThan(50);
  });

  test('every ringkv_ metric served is in the catalogue', () => {
    const undocumented = [...served.types.keys()].filter((n) => n.startsWith('ringkv_') && !catalogue.has(n));
    expect(undocumented).toEqual([]);
  });

  test('every metric of the catalogue is served', () => {
    const missing = [...catalogue.keys()].filter((n) => !served.types.has(n));
    expect(missing).toEqual([]);
  });

  test('each is served with the type the catalogue gives', () => {
    const wrong = [...catalogue.values()].filter((e) => served.types.has(e.name) && served.types.get(e.name) !== e.type)
      .map((e) => `${e.name}: served ${served.types.get(e.name)}, listed ${e.type}`);
    expect(wrong).toEqual([]);
  });

  test('the labels of every served sample are the ones the catalogue lists', () => {
    const unlisted: string[] = [];
    for (const [name, labels] of served.labels) {
      const entry = catalogue.get(name);
      if (!entry) continue;
      for (const l of labels) if (!entry.labels.includes(l)) unlisted.push(`${name}{${l}}`);
    }
    expect(unlisted).toEqual([]);
    // Labelled metrics that have samples by now carry exactly their listed labels.
    for (const name of ['ringkv_kv_request_duration_seconds', 'ringkv_coordinator_requests_total', 'ringkv_peer_up', 'ringkv_members']) {
      expect([...served.labels.get(name)!].sort()).toEqual([...catalogue.get(name)!.labels].sort());
    }
  });
});
