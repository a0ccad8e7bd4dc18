// Latency of the data requests by operation (get, put, delete) and the consistency level the
// request asked for (default, one, quorum, all, a number, local, or other for a value the route
// refuses): ringkv_kv_request_duration_seconds. The level is read from the query string by a scan
// that allocates nothing, and every (operation, level) series is resolved once, on its first
// request: an observation is two array reads and the histogram's additions.
import { FastHistogram, type HistogramChild } from './fast-histogram.js';
import type { Registry } from 'prom-client';

export const KV_OPS = Object.freeze(['get', 'put', 'delete'] as const);
export type KvOp = (typeof KV_OPS)[number];
export const CONSISTENCY_LABELS = Object.freeze(['default', 'one', 'quorum', 'all', 'number', 'local', 'other'] as const);
export type ConsistencyLabel = (typeof CONSISTENCY_LABELS)[number];

const DEFAULT = 0;
const ONE = 1;
const QUORUM = 2;
const ALL = 3;
const NUMBER = 4;
const LOCAL = 5;
const OTHER = 6;

/** The index in CONSISTENCY_LABELS of the level `search` (the query, without '?') asks for with `param`. */
export function consistencyIndex(search: string, param: 'r' | 'w'): number {
  let level = DEFAULT;
  const n = search.length;
  const code = param.charCodeAt(0);
  let i = 0;
  while (i < n) {
    // One parameter: its name is [i, eq), its value [eq + 1, end).
    let end = i;
    let eq = -1;
    for (; end < n; end++) {
      const c = search.charCodeAt(end);
      if (c === 38) break; // '&'
      if (c === 61 && eq < 0) eq = end; // '='
    }
    if (eq < 0) eq = end;
    const nameLength = eq - i;
    if (nameLength === 1 && search.charCodeAt(i) === code) {
      level = levelOf(search, eq + 1, end);
    } else if (param === 'r' && nameLength === 5 && same(search, i, 'local') && flagSet(search, eq + 1, end)) {
      return LOCAL;
    }
    i = end + 1;
  }
  return level;
}

/** Whether s holds word at from (char codes compared: no substring, no allocation). */
function same(s: string, from: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (s.charCodeAt(from + k) !== word.charCodeAt(k)) return false;
  return true;
}

function levelOf(s: string, from: number, to: number): number {
  const length = to - from;
  if (length <= 0) return OTHER;
  if (length === 3 && same(s, from, 'one')) return ONE;
  if (length === 6 && same(s, from, 'quorum')) return QUORUM;
  if (length === 3 && same(s, from, 'all')) return ALL;
  if (length > 9) return OTHER;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return OTHER;
  }
  return NUMBER;
}

/** parseFlag's true values: present with no value, '', '1' or 'true'. */
function flagSet(s: string, from: number, to: number): boolean {
  const length = to - from;
  return length <= 0 || (length === 1 && s.charCodeAt(from) === 49) || (length === 4 && same(s, from, 'true'));
}

export class KvLatency {
  readonly histogram: FastHistogram<'op' | 'consistency'>;
  /** Children by op * levels + level, resolved at first use. */
  private readonly children: (HistogramChild | undefined)[] = new Array(KV_OPS.length * CONSISTENCY_LABELS.length).fill(undefined);

  constructor(registry: Registry, buckets: readonly number[]) {
    this.histogram = new FastHistogram({
      name: 'ringkv_kv_request_duration_seconds', buckets, registers: [registry],
      help: 'Data request latency at the client port (answered requests, errors included), by operation and the consistency level asked for',
    });
  }

  /** One answered /kv request: `method` the HTTP method, `search` its query string without '?'. */
  observe(method: string, search: string, seconds: number): void {
    const op: 0 | 1 | 2 | undefined = method === 'PUT' ? 1 : method === 'DELETE' ? 2 : method === 'GET' || method === 'HEAD' ? 0 : undefined;
    if (op === undefined) return;
    const level = search.length === 0 ? DEFAULT : consistencyIndex(search, op === 0 ? 'r' : 'w');
    const at = op * CONSISTENCY_LABELS.length + level;
    let child = this.children[at];
    if (child === undefined) {
      const labels: Record<'op' | 'consistency', string> = { op: KV_OPS[op], consistency: CONSISTENCY_LABELS[level] ?? 'other' };
      child = this.children[at] = this.histogram.child(`${labels.op} ${labels.consistency}`, labels);
    }
    child.observe(seconds);
  }
}
